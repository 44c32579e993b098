// spawn: a child in a PTY whose master our poller reads, alone. Every byte
// before the exit, exit codes and signals, big writes, resize, backpressure.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ConsolePoller, ConsoleReadable, ConsoleWritable, spawn } from '../src/console/index.js';
import { native } from '../src/native.js';
import { onlcr, sha256, sleep, textFile } from './helpers/pty.js';

const poller = new ConsolePoller();
afterAll(() => poller.close());

/** Collects a console's whole output through the stream adapter. */
async function collect(child: ReturnType<typeof spawn>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of new ConsoleReadable(child.console)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('spawn', () => {
  it('delivers every byte of 1 MiB written just before exit, in each of 200 runs', async () => {
    const { file, data } = textFile(1 << 20);
    const want = onlcr(data);
    const wantHash = sha256(want);
    const results: Array<{ len: number; hash: string }> = [];
    const runOne = async () => {
      const child = spawn('/bin/cat', [file], { poller });
      const [out, status] = await Promise.all([collect(child), child.exited]);
      expect(status).toEqual({ exitCode: 0, signal: null });
      results.push({ len: out.length, hash: sha256(out) });
    };
    for (let i = 0; i < 200; i += 4) await Promise.all([runOne(), runOne(), runOne(), runOne()]);
    const short = results.filter((r) => r.len !== want.length);
    expect(short).toEqual([]);
    expect(results.filter((r) => r.hash !== wantHash)).toEqual([]);
    expect(results.length).toBe(200);
  });

  it('reports the exit after the last byte, with the right code and signal', async () => {
    const three = spawn('/bin/sh', ['-c', 'printf "last words"; exit 3'], { poller });
    let bytesAtExit = -1;
    const chunks: Buffer[] = [];
    const stream = new ConsoleReadable(three.console);
    stream.on('data', (c: Buffer) => chunks.push(c));
    const status = await three.exited.then((s) => {
      bytesAtExit = Buffer.concat(chunks).length;
      return s;
    });
    expect(status).toEqual({ exitCode: 3, signal: null });
    expect(bytesAtExit).toBe('last words'.length);

    const term = spawn('/bin/sh', ['-c', 'echo started; exec sleep 30'], { poller });
    const out = collect(term);
    await sleep(200);
    term.kill('SIGTERM');
    expect(await term.exited).toEqual({ exitCode: null, signal: 15 });
    expect((await out).toString()).toBe('started\r\n');
  });

  it('a write far larger than the PTY buffer reaches a slow reader whole and in order', async () => {
    // The child reads raw stdin in small pieces with pauses, then prints
    // the length and sha256 of what it got.
    const reader = `
      process.stdin.setRawMode(true);
      const h = require('crypto').createHash('sha256'); let n = 0; const want = ${4 << 20};
      process.stdin.on('data', (d) => {
        process.stdin.pause(); h.update(d); n += d.length;
        if (n >= want) { process.stdout.write('\\nGOT ' + n + ' ' + h.digest('hex') + '\\n'); process.exit(0); }
        setTimeout(() => process.stdin.resume(), 2);
      });
      process.stdout.write('READY\\n');`;
    const child = spawn(process.execPath, ['-e', reader], { poller });
    const out = collect(child);
    const { data } = textFile(4 << 20, 'bigwrite');
    // Wait for raw mode, or the line discipline would cook the bytes.
    await sleep(500);
    await child.console.write(data);
    const text = (await out).toString();
    expect(text).toContain(`GOT ${data.length} ${sha256(data)}`);
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('ConsoleWritable carries a piped stream into the child whole', async () => {
    const { data } = textFile(512 << 10, 'piped');
    const child = spawn('/bin/sh', ['-c', `stty raw -echo; echo READY; head -c ${data.length} | sha256sum`], { poller });
    const chunks: Buffer[] = [];
    const stream = new ConsoleReadable(child.console);
    stream.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => stream.once('end', r));
    // READY comes after stty: from then on the bytes pass uncooked.
    while (!Buffer.concat(chunks).includes('READY')) await sleep(10);
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), new ConsoleWritable(child.console));
    await ended;
    expect(Buffer.concat(chunks).toString()).toContain(sha256(data));
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('resize reaches the child: stty size reports it', async () => {
    const child = spawn('/bin/sh', ['-c', 'read line; stty size'], { poller, cols: 80, rows: 24 });
    const out = collect(child);
    expect(child.console.size()).toEqual({ cols: 80, rows: 24 });
    child.resize(133, 41);
    expect(child.console.size()).toEqual({ cols: 133, rows: 41 });
    await child.console.write('go\n');
    expect((await out).toString()).toContain('41 133');
    await child.exited;
  });

  it('backpressure: a consumer that pauses 1 s mid-stream gets all 16 MiB in order', async () => {
    const { file, data } = textFile(16 << 20, 'pressure');
    const want = onlcr(data);
    const child = spawn('/bin/cat', [file], { poller });
    const stream = new ConsoleReadable(child.console);
    const got: Buffer[] = [];
    let size = 0;
    let paused = false;
    await pipeline(stream, new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, done) {
        got.push(chunk);
        size += chunk.length;
        if (!paused && size > 8 << 20) {
          paused = true;
          setTimeout(done, 1000);
        } else {
          done();
        }
      },
    }));
    expect(paused).toBe(true);
    const out = Buffer.concat(got);
    expect(out.length).toBe(want.length);
    expect(sha256(out)).toBe(sha256(want));
    await child.exited;
  });

  it('after a pause, reads resume without any new edge from the kernel', async () => {
    // A socket pair gives no edge when its reader makes room (a PTY's flip
    // buffer would), so any new event here would be one we did not need.
    const local = new ConsolePoller();
    const pair = new Int32Array(2);
    native.socketPair(pair);
    const payload = Buffer.alloc(150_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff;
    expect(native.write(pair[1]!, payload, 0, payload.length)).toBe(payload.length);
    const console = local.add(pair[0]!);
    const stream = new ConsoleReadable(console, { highWaterMark: 4096 });
    const rest: Buffer[] = [];
    stream.on('data', (c: Buffer) => {
      rest.push(c);
      if (rest.length === 1) stream.pause();
    });
    await sleep(200);
    // Paused after one chunk: most of the payload is still in the kernel.
    expect(Buffer.concat(rest).length).toBeLessThan(payload.length / 2);
    const eventsWhilePaused = local.poller.stats.events;
    stream.resume();
    const deadline = Date.now() + 5000;
    while (Buffer.concat(rest).length < payload.length && Date.now() < deadline) await sleep(10);
    expect(Buffer.concat(rest).equals(payload)).toBe(true);
    expect(local.poller.stats.events).toBe(eventsWhilePaused);
    console.close();
    native.close(pair[1]!);
    local.close();
  });
});
