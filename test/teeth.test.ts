// Issue 19, tests with teeth: each pins one guarantee so that breaking its
// mechanism (see test/mutations/19-*.json) makes it fail. The readers here
// do not keep up, the data is large enough to notice one lost chunk, and
// each rule is tested on its own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConsolePoller, ConsoleReadable, spawn } from '../src/console/index.js';
import { native } from '../src/native.js';
import { jsonFrame } from '../src/server/protocol.js';
import { onlcr, openFdCount, openMaster, sha256, sleep, textFile } from './helpers/pty.js';
import { NOBODY, ptyplexAsNobody } from './helpers/as-nobody.js';
import { needsRoot } from './helpers/needs-root.js';
import { ptyplexPlain } from './helpers/cli.js';
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
  it('19.2 64 MiB through one console: the log and a follower are the source byte for byte (ONLCR applied)', async () => {
    s = testSessions();
    const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-64m-'));
    const { file, data } = textFile(64 * 1024 * 1024, 'whole');
    const want = onlcr(data);
    const wantSum = sha256(want);
    // Quiet until "go" (the typed line is not echoed: stty -echo), so the
    // console's output is the file alone and the follower is in place first.
    expect(s.cli(['run', '-d', '--log-dir', logs, '--names', 'big', `stty -echo; read go; cat ${file}; read done`]).status).toBe(0);
    const out = path.join(logs, 'follower.out');
    const follower = s.start(['tee', 'big', '-o', out]);
    await until(() => fs.existsSync(out), 'the follower to connect');
    await sleep(300);
    const before = s.describe().consoles[0]!.bytesOut;
    s.cli(['send', 'big', 'go\n']);
    // Until it has written it all, or stopped: a lost chunk fails below, not by a timeout.
    let last = -1;
    let still = 0;
    await until(() => {
      const n = s!.describe().consoles[0]!.bytesOut;
      still = n === last ? still + 1 : 0;
      last = n;
      return n >= before + want.length || still >= 20;
    }, 'the console to write 64 MiB', 90_000);
    s.cli(['send', 'big', 'done\n']);
    expect(await follower.done).toMatchObject({ status: 0, stderr: '' });
    for (const [what, got] of [['log', fs.readFileSync(path.join(logs, 'big.log'))], ['follower', fs.readFileSync(out)]] as const) {
      // Whatever the console wrote before "go" (nothing, with echo off) comes first.
      const body = got.subarray(before, before + want.length);
      expect(got.length, `${what} length`).toBe(before + want.length);
      expect(sha256(body), `${what} content`).toBe(wantSum);
    }
  }, 120_000);
  it('19.3 the stall rule on its own: a follower that stops reading holds the console about 250 ms, far less than its 1 s credit', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-stall-'));
    // The child times each blocking 64 KiB write: while a client holds the
    // console nobody reads the PTY, and the longest write is the longest hold.
    const writer = path.join(dir, 'writer.cjs');
    const result = path.join(dir, 'longest-ms');
    fs.writeFileSync(writer, `
      const fs = require('fs');
      const chunk = Buffer.alloc(65536, 'x');
      let longest = 0;
      for (let i = 0; i < 512; i++) {
        const t = process.hrtime.bigint();
        fs.writeSync(1, chunk);
        longest = Math.max(longest, Number(process.hrtime.bigint() - t) / 1e6);
      }
      fs.writeFileSync(process.argv[2], String(longest));
    `);
    expect(s.cli(['run', '-d', '--names', 'w', `stty -echo; read go; ${process.execPath} ${writer} ${result}; read done`]).status).toBe(0);
    const sock = s.describe().socket;
    // A follower that never reads: once its queue is full it stalls at once.
    const seen: Buffer[] = [];
    const conn = net.connect(sock, () => {
      conn.write(jsonFrame({ op: 'tee', console: 'w', follow: true }));
      conn.pause();
    });
    conn.on('data', (d: Buffer) => seen.push(d));
    await sleep(300);
    s.cli(['send', 'w', 'go\n']);
    await until(() => fs.existsSync(result), 'the writer to finish', 60_000);
    const longest = Number(fs.readFileSync(result, 'utf8'));
    // The client did hold the console (unheld, a write takes about 1 ms) ...
    expect(longest, `longest write ${longest} ms`).toBeGreaterThan(100);
    // ... and was cut loose by the 250 ms stall rule, not by its 1000 ms credit.
    expect(longest, `longest write ${longest} ms`).toBeLessThan(700);
    conn.resume();
    await until(() => Buffer.concat(seen).includes('"skipped"'), 'the follower to be told it skipped');
    conn.destroy();
  });
  it('19.4 the client refuses a server of another uid (nobody): one line, status 1, nothing sent', () => {
    needsRoot('it starts a session server as the user nobody');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-theirs-'));
    fs.chownSync(dir, NOBODY, NOBODY);
    const sock = path.join(dir, 'theirs.sock');
    const started = ptyplexAsNobody(['run', '-d', '-S', sock, '--names', 'v', 'cat']);
    expect(started, 'run -d as nobody').toMatchObject({ status: 0, stderr: '' });
    try {
      // Root is trusted by nobody's server, so only the client's own check can refuse.
      for (const args of [['ls', '-S', sock], ['send', '-S', sock, 'v', 'typed-by-root\n']]) {
        const r = ptyplexPlain(args);
        expect(r.stderr, args[0]).toBe(`ptyplex: ${sock}: the server belongs to uid ${NOBODY}, not to you (uid 0); refusing to talk to it\n`);
        expect(r.status, args[0]).toBe(1);
      }
      const held = ptyplexAsNobody(['tee', '-S', sock, 'v', '--no-follow']);
      expect(held.stdout).not.toContain('typed-by-root');
    } finally {
      ptyplexAsNobody(['kill-server', '-S', sock]);
    }
  });
  it('19.6 the native receive closes the fds that do not fit: counted before recvFds, one more after, none after closing it', () => {
    const pair = new Int32Array(2);
    expect(native.socketPair(pair)).toBe(0);
    const [a, b] = [pair[0]!, pair[1]!];
    const masters = [openMaster().master, openMaster().master, openMaster().master];
    const one = Buffer.from('x');
    expect(native.sendFds(a, one, 0, 1, Int32Array.from(masters))).toBe(1);
    const before = openFdCount();
    const out = new Int32Array(3); // room for one fd of the three
    expect(native.recvFds(b, Buffer.alloc(16), 0, 16, out)).toBe(1);
    expect(out[0]).toBe(1);
    // Only the one kept is new: the two that did not fit were closed.
    expect(openFdCount()).toBe(before + 1);
    native.close(out[2]!);
    expect(openFdCount()).toBe(before);
    for (const fd of [a, b, ...masters]) native.close(fd);
  });
  it('19.8 a console master is close-on-exec: a later child holds no earlier console open', async () => {
    const first = spawn('/bin/sleep', ['30'], { poller });
    const second = spawn('/bin/sleep', ['30'], { poller });
    // Readers, so that the exits below can be reported.
    for (const c of [first, second]) new ConsoleReadable(c.console).resume();
    try {
      await until(() => fs.readlinkSync(`/proc/${second.pid}/exe`).endsWith('sleep'), 'the second child to exec');
      // An fd the child opens and closes itself while starting (the loader's)
      // may vanish between the listing and the look; an inherited one cannot.
      const targets = fs.readdirSync(`/proc/${second.pid}/fd`).flatMap((fd) => {
        try {
          return [fs.readlinkSync(`/proc/${second.pid}/fd/${fd}`)];
        } catch {
          return [];
        }
      });
      // Its own slave (0, 1, 2) and nothing of ours: no PTY master (/dev/ptmx), no poller.
      expect(targets.filter((t) => t === '/dev/ptmx' || t.includes('eventpoll'))).toEqual([]);
      expect(targets).toContain(second.pty);
      // A child started any other way (child_process: a readiness probe, the
      // daemon) after the last console holds no master either: spawn's own
      // sweep of stray fds runs only before a console's fork.
      const other = spawnSync('ls', ['-l', '/proc/self/fd'], { encoding: 'utf8' }).stdout;
      expect(other).not.toContain('/dev/ptmx');
    } finally {
      first.kill('SIGKILL');
      second.kill('SIGKILL');
      await Promise.all([first.exited, second.exited]);
    }
  });
});
