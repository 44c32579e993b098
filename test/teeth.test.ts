// Issue 19, tests with teeth: each pins one guarantee so that breaking its
// mechanism (see test/mutations/19-*.json) makes it fail. The readers here
// do not keep up, the data is large enough to notice one lost chunk, and
// each rule is tested on its own.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConsolePoller, ConsoleReadable, spawn } from '../src/console/index.js';
import { native } from '../src/native.js';
import { onlcr, openFdCount, openMaster, sha256, sleep, textFile } from './helpers/pty.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

const poller = new ConsolePoller();
afterAll(() => poller.close());
let s: TestSessions | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** True once a process is gone (reaped), not merely a zombie. */
const gone = (pid: number): boolean => !fs.existsSync(`/proc/${pid}`);

/** A control-protocol frame: 4-byte length, type, payload. */
function frame(type: number, payload: string): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(Buffer.byteLength(payload) + 1, 0);
  h[4] = type;
  return Buffer.concat([h, Buffer.from(payload)]);
}

describe('issue 19: guarantees with teeth', () => {
  it('19.1 drain at exit: a reader paused when the child exits still gets every byte, and only then the exit', async () => {
    // 6 KiB fits in the PTY's queue (about 8 KiB here): the child writes it all and is reaped
    // while the reader, after one read, reads nothing more.
    const { file, data } = textFile(6 * 1024, 'drain');
    const want = onlcr(data);
    const child = spawn('/bin/cat', [file], { poller, drainTimeout: 200 });
    let exitedAt = 0;
    void child.exited.then(() => (exitedAt = Date.now()));
    const buf = Buffer.alloc(64 * 1024);
    const got: Buffer[] = [];
    const first = await child.console.read(buf.subarray(0, 1024));
    got.push(Buffer.from(buf.subarray(0, first)));
    await until(() => gone(child.pid), 'the child to be reaped while the reader is paused');
    // Many drain timeouts pass: a reader that is not reading is not drained.
    await sleep(1500);
    expect(exitedAt, 'exit reported while output was still unread').toBe(0);
    for (let n = await child.console.read(buf); n > 0; n = await child.console.read(buf)) got.push(Buffer.from(buf.subarray(0, n)));
    const endAt = Date.now();
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
    const out = Buffer.concat(got);
    expect(out.length).toBe(want.length);
    expect(sha256(out)).toBe(sha256(want));
    expect(exitedAt).toBeGreaterThanOrEqual(endAt);
  });

  it('19.1 drain at exit: a slow stream reader (small chunks, naps) gets every byte of 1 MiB written just before exit', async () => {
    const { file, data } = textFile(1 << 20, 'slowdrain');
    const want = onlcr(data);
    for (let run = 0; run < 3; run++) {
      const child = spawn('/bin/cat', [file], { poller });
      const stream = new ConsoleReadable(child.console, { highWaterMark: 4096 });
      const got: Buffer[] = [];
      // About 4 MB/s: far behind the child, so its last bytes wait in the kernel when it exits.
      stream.on('data', (c: Buffer) => {
        got.push(c);
        stream.pause();
        setTimeout(() => stream.resume(), 5);
      });
      await new Promise((r) => stream.once('end', r));
      expect(await child.exited).toEqual({ exitCode: 0, signal: null });
      const out = Buffer.concat(got);
      expect(out.length, `run ${run}`).toBe(want.length);
      expect(sha256(out), `run ${run}`).toBe(sha256(want));
    }
  });
});
