// An attached client may ask the session server to send it nothing for a
// while (pause-output, what `ptyplex web` does for a page that is skipping
// a flood): nothing is sent meanwhile, and on resume-output it is told how
// much it missed and given the recent output to redraw from, then follows
// live output again; a console that ends while a client is paused gives it
// the end of its output before the end.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../src/server/control-client.js';
import { FRAME_JSON, FrameDecoder, jsonFrame } from '../src/server/protocol.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let dir: string;
const N = 200_000; // seq 1 N: 1.3 MiB, far more than a redraw

beforeAll(() => {
  s = testSessions();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-pause-'));
  const wait = (f: string) => `while [ ! -e ${dir}/${f} ]; do sleep 0.02; done`;
  const r = s.cli([
    'run', '-d', '--names', 'live,ends',
    `${wait('go1')}; seq 1 ${N}; echo PAUSED-END; ${wait('go2')}; echo LIVE-AGAIN; exec sleep 100000`,
    `${wait('go3')}; seq 1 ${N}; echo LAST-WORDS`,
  ]);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => {
  s?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Attached {
  client: ControlClient;
  reply: Record<string, unknown>;
  /** Frames in order: output as text, messages as objects. */
  frames: Array<string | Record<string, unknown>>;
  text(): string;
}

async function attach(name: string): Promise<Attached> {
  const client = await ControlClient.connect(s.describe().socket);
  const frames: Array<string | Record<string, unknown>> = [];
  client.on('data', (d) => frames.push(d.toString('latin1')));
  client.on('message', (m) => frames.push(m));
  const reply = await client.request({ op: 'attach', console: name, readOnly: true, cols: 80, rows: 24 });
  return { client, reply, frames, text: () => frames.filter((f) => typeof f === 'string').join('') };
}

const go = (f: string) => fs.writeFileSync(path.join(dir, f), '');

describe('pause-output', () => {
  it('a paused client is sent nothing; on resume it is told what it missed, redrawn from the recent output, and follows live output again', async () => {
    const a = await attach('live');
    try {
      expect(a.reply.pause).toBe(true);
      // The replay of nothing yet, and the pause taken before any output.
      a.client.send({ op: 'pause-output' });
      await new Promise((r) => setTimeout(r, 100));
      go('go1');
      await until(() => s.cli(['tee', 'live', '--no-follow']).stdout.includes('PAUSED-END'), 'the console to print it all', 30_000);
      expect(a.text()).toBe('');
      a.client.send({ op: 'resume-output' });
      await until(() => a.frames.some((f) => typeof f === 'object' && f.event === 'output-resumed'), 'output-resumed');
      const at = a.frames.findIndex((f) => typeof f === 'object' && f.event === 'output-resumed');
      const resumed = a.frames[at] as Record<string, unknown>;
      const printed = seqBytes(N) + 'PAUSED-END\r\n'.length;
      expect(resumed.skipped).toBe(printed);
      // The redraw follows at once: the end of what was missed, a frame of its own.
      const redraw = a.frames[at + 1];
      expect(typeof redraw).toBe('string');
      expect((redraw as string).length).toBe(resumed.redraw);
      expect(redraw as string).toMatch(new RegExp(`\\r\\n${N}\\r\\nPAUSED-END\\r\\n$`));
      expect((redraw as string).length).toBeLessThan(printed / 4);
      go('go2');
      await until(() => a.text().includes('LIVE-AGAIN'), 'live output after the resume');
    } finally {
      a.client.close();
    }
  });

  it('a console that ends while a client is paused gives it the end of its output, then the end', async () => {
    const a = await attach('ends');
    const ended = new Promise<void>((resolve) => a.client.once('close', () => resolve()));
    try {
      a.client.send({ op: 'pause-output' });
      await new Promise((r) => setTimeout(r, 100));
      go('go3');
      await ended;
      const at = a.frames.findIndex((f) => typeof f === 'object' && f.event === 'output-resumed');
      expect(at).toBeGreaterThanOrEqual(0);
      expect(a.frames[at + 1] as string).toMatch(new RegExp(`\\r\\n${N}\\r\\nLAST-WORDS\\r\\n$`));
      expect(a.frames.at(-1)).toMatchObject({ event: 'end', exitCode: 0 });
    } finally {
      a.client.close();
    }
  });
});

/** Bytes of `seq 1 n` through a PTY (\r\n line ends). */
function seqBytes(n: number): number {
  let bytes = 0;
  for (let i = 1; i <= n; i++) bytes += String(i).length + 2;
  return bytes;
}

describe('pause-output from a client that never reads', () => {
  let f: TestSessions;
  beforeAll(() => {
    f = testSessions();
    const r = f.cli(['run', '-d', '--client-queue', '64K', '--names', 'flood,quiet', 'yes ptyplex-pause-flood', 'exec sleep 100000']);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => f?.cleanup());

  it('a client that keeps asking while it reads nothing of the answers is dropped once they pass a bound; the session serves on', async () => {
    const sock = net.connect(f.describe().socket);
    sock.pause(); // reads nothing
    await new Promise((resolve) => sock.once('connect', resolve));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.on('error', () => undefined); // EPIPE once dropped
    sock.write(jsonFrame({ op: 'attach', console: 'quiet', readOnly: true, cols: 80, rows: 24 }));
    // Each pair is answered (output-resumed, some 50 bytes): 300 000 pairs
    // would queue 15 MB of answers in the server for a client that never
    // reads one. Sent in batches, until the server hangs up.
    const pair = Buffer.concat([jsonFrame({ op: 'pause-output' }), jsonFrame({ op: 'resume-output' })]);
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => pair));
    let sent = 0;
    while (!sock.destroyed && sent < 300) {
      if (!sock.write(batch)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            sock.off('drain', done).off('close', done);
            resolve();
          };
          sock.once('drain', done).once('close', done);
        });
      }
      sent++;
    }
    const dropped = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    sock.destroy();
    expect({ dropped, batchesBeforeIt: sent < 300 }).toEqual({ dropped: true, batchesBeforeIt: true });
    expect(f.cli(['ls']).status).toBe(0);
    expect(f.cli(['send', 'quiet', 'x']).status).toBe(0);
  });

  it('asking for output again and again without reading it is not a redraw per request: the redraw waits for the client to read', async () => {
    const sock = net.connect(f.describe().socket);
    sock.pause(); // reads nothing of what it is sent, until the end
    await new Promise((resolve) => sock.once('connect', resolve));
    sock.write(jsonFrame({ op: 'attach', console: 'flood', readOnly: true, cols: 80, rows: 24 }));
    await new Promise((r) => setTimeout(r, 500)); // behind by now: far more than 64 KiB unread
    // 600 pause/resume pairs, output between them: a redraw of up to 64 KiB
    // each, some 40 MiB held in the server, if every resume queued one.
    const pairs = 600;
    for (let i = 0; i < pairs; i++) {
      sock.write(jsonFrame({ op: 'pause-output' }));
      await new Promise((r) => setTimeout(r, 2));
      sock.write(jsonFrame({ op: 'resume-output' }));
    }
    await new Promise((r) => setTimeout(r, 300)); // the server has taken every request
    // Now read it all: every resume was answered, and said whether a redraw followed.
    const decoder = new FrameDecoder(1 << 24);
    const resumed: Array<Record<string, unknown>> = [];
    sock.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) if (frame.type === FRAME_JSON && frame.message.event === 'output-resumed') resumed.push(frame.message);
    });
    sock.resume();
    await until(() => resumed.length === pairs, 'every resume answered', 20_000);
    sock.destroy();
    const redrawn = resumed.filter((m) => Number(m.redraw) > 0).length;
    expect(redrawn).toBe(0);
    expect(f.cli(['ls']).status).toBe(0);
  });
});
