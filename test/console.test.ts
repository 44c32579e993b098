// The console core's survival cases, each on real PTYs and processes.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleClosedError, ConsolePoller, spawn } from '../src/console/index.js';
import { SysError } from '../src/sys-error.js';
import { native } from '../src/native.js';
import { cpuSecondsDuring, openFdCount, openMaster, openSlave, sleep } from './helpers/pty.js';

const poller = new ConsolePoller();
afterAll(() => poller.close());

/** A shell that puts its PTY in raw mode and echoes every byte back. */
function rawCat(p = poller) {
  return spawn('/bin/sh', ['-c', 'stty raw -echo; echo ready; exec cat'], { poller: p });
}

async function readUntil(console: { read(b: Uint8Array): Promise<number> }, want: string, limitMs = 10_000): Promise<string> {
  const buf = Buffer.alloc(65536);
  let got = '';
  const deadline = Date.now() + limitMs;
  while (!got.includes(want)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(want)}; got ${JSON.stringify(got.slice(-200))}`);
    const n = await Promise.race([console.read(buf), sleep(limitMs).then(() => -1)]);
    if (n <= 0) throw new Error(`read ended (${n}) before ${JSON.stringify(want)}`);
    got += buf.subarray(0, n).toString('latin1');
  }
  return got;
}

/** Reads to end of file: a spawned console ends after its child's last byte. */
async function readAll(console: { read(b: Uint8Array): Promise<number> }): Promise<string> {
  const buf = Buffer.alloc(65536);
  let got = '';
  for (let n; (n = await console.read(buf)) > 0;) got += buf.subarray(0, n).toString('latin1');
  return got;
}

describe('PollConsole', () => {
  it('shutdown twice: the close callback runs once and nothing hangs', async () => {
    const { master } = openMaster();
    const c = poller.add(master);
    const pending = c.read(Buffer.alloc(16));
    let calls = 0;
    c.shutdown((fd) => {
      calls++;
      poller.closeConsole(fd);
    });
    c.shutdown(() => calls++);
    expect(calls).toBe(1);
    await expect(pending).resolves.toBe(0);
    await expect(c.read(Buffer.alloc(16))).resolves.toBe(0);
    c.close();
    c.close();
  });

  it('shutdown resolves every pending read with EOF and rejects every pending write', async () => {
    const child = spawn('/bin/sh', ['-c', 'stty raw -echo; exec sleep 30'], { poller });
    await sleep(200);
    const c = child.console;
    const reads = [c.read(Buffer.alloc(16)), c.read(Buffer.alloc(16))];
    // The child reads nothing: 1 MiB fills the PTY buffer and parks the write.
    const writing = c.write(Buffer.alloc(1 << 20, 0x61));
    const outcome = writing.then(() => 'resolved', (e: unknown) => e);
    await sleep(200);
    const t0 = Date.now();
    c.shutdown();
    expect(await Promise.all(reads)).toEqual([0, 0]);
    const err = await outcome;
    expect(err).toBeInstanceOf(ConsoleClosedError);
    expect(Date.now() - t0).toBeLessThan(3000); // at once, not when the write could finish (never)
    await expect(c.write('late')).rejects.toBeInstanceOf(ConsoleClosedError);
    child.kill('SIGKILL');
    await child.exited;
  });

  // DESIGN.md expected EIO here; Linux 6.x gives EAGAIN until the slave is
  // first opened, and EIO only once it has been opened and closed. Either
  // way the read must wait, not end.
  it('a master whose slave was never opened: the read waits, it does not end', async () => {
    const { master, slavePath } = openMaster();
    const c = poller.add(master);
    const buf = Buffer.alloc(64);
    let result: number | undefined;
    const reading = c.read(buf).then((n) => (result = n));
    await sleep(200);
    expect(result).toBeUndefined();
    const slave = openSlave(slavePath);
    fs.writeSync(slave, 'late hello');
    await reading;
    expect(buf.subarray(0, result).toString()).toBe('late hello');
    expect(c.isHungUp).toBe(false);
    fs.closeSync(slave);
    c.close();
  });

  it('1000 hung-up consoles cost no CPU, and one resumes when its slave reopens', async () => {
    const local = new ConsolePoller();
    const consoles = [];
    for (let i = 0; i < 1000; i++) {
      const { master, slavePath } = openMaster();
      fs.closeSync(openSlave(slavePath)); // opened once, now hung up
      const c = local.add(master);
      const buf = Buffer.alloc(64);
      consoles.push({ c, slavePath, buf, read: c.read(buf) });
    }
    await sleep(100); // let the initial hang-up edges arrive
    const cpu = await cpuSecondsDuring(() => sleep(2000));
    expect(cpu).toBeLessThan(0.2);
    const pick = consoles[617]!;
    const slave = openSlave(pick.slavePath);
    fs.writeSync(slave, 'back again');
    const n = await pick.read;
    expect(pick.buf.subarray(0, n).toString()).toBe('back again');
    fs.closeSync(slave);
    local.close();
    // Closing the poller ends every other pending read with 0 (end of file).
    const reads = await Promise.all(consoles.map((x) => x.read));
    expect(reads[617]).toBe('back again'.length);
    expect(reads.filter((n, i) => i !== 617 && n !== 0)).toEqual([]);
    for (const { c } of consoles) c.close();
  });

  it('no lost wakeup: 10,000 small round trips through a child, none stalls', async () => {
    const child = rawCat();
    const c = child.console;
    await readUntil(c, 'ready\n');
    const buf = Buffer.alloc(256);
    for (let i = 0; i < 10_000; i++) {
      const msg = `${i};`;
      await c.write(msg);
      let got = '';
      while (got.length < msg.length) {
        const n = await Promise.race([c.read(buf), sleep(5000).then(() => -1)]);
        if (n < 0) throw new Error(`round trip ${i} stalled`);
        got += buf.subarray(0, n).toString();
      }
      expect(got).toBe(msg);
    }
    child.kill('SIGKILL');
    await readAll(c);
    expect(await child.exited).toEqual({ exitCode: null, signal: 9 });
  });

  it('fd reuse: the old console cannot touch the new one that got its number', async () => {
    const a = openMaster();
    const ca = poller.add(a.master);
    ca.shutdown();
    ca.close();
    const b = openMaster();
    expect(b.master).toBe(a.master);
    const cb = poller.add(b.master);
    // Late calls on the old console are no-ops: no second unregister, no
    // double close of the number the new console now owns.
    ca.shutdown();
    ca.close();
    expect(() => ca.resize(80, 24)).toThrow(ConsoleClosedError);
    const slave = openSlave(b.slavePath);
    fs.writeSync(slave, 'mine');
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, await cb.read(buf)).toString()).toBe('mine');
    expect(poller.get(b.master)).toBe(cb);
    fs.closeSync(slave);
    cb.close();
  });

  it('closing the poller ends pending reads and writes', async () => {
    const local = new ConsolePoller();
    const a = local.add(openMaster().master);
    const b = local.add(openMaster().master);
    const reads = [a.read(Buffer.alloc(8)), b.read(Buffer.alloc(8))];
    await sleep(50);
    local.close();
    expect(await Promise.all(reads)).toEqual([0, 0]);
    a.close();
    b.close();
  });

  it('500 consoles at once each get their own bytes back', async () => {
    const local = new ConsolePoller();
    const children = Array.from({ length: 500 }, () => rawCat(local));
    await Promise.all(children.map((ch) => readUntil(ch.console, 'ready\n')));
    const payload = (i: number) => `<console ${i} payload ${'x'.repeat(i % 50)} end ${i}>`;
    await Promise.all(children.map((ch, i) => ch.console.write(payload(i))));
    const echoes = await Promise.all(children.map((ch, i) => readUntil(ch.console, payload(i))));
    echoes.forEach((got, i) => expect(got).toBe(payload(i)));
    for (const ch of children) ch.kill('SIGKILL');
    await Promise.all(children.map((ch) => readAll(ch.console)));
    await Promise.all(children.map((ch) => ch.exited));
    local.close();
  });

  it('no fd leaks after 2000 add/shutdown/close cycles', async () => {
    const local = new ConsolePoller();
    await sleep(50); // earlier tests' pollers close their queue fds on the next loop turn
    const before = openFdCount();
    for (let i = 0; i < 2000; i++) {
      const { master, slavePath } = openMaster();
      const c = local.add(master);
      if (i % 2 === 0) fs.closeSync(openSlave(slavePath));
      c.shutdown(local.closeConsole);
      c.close();
    }
    for (let i = 0; i < 20; i++) {
      const ch = spawn('/bin/echo', [`run ${i}`], { poller: local });
      expect(await readAll(ch.console)).toBe(`run ${i}\r\n`);
      expect(await ch.exited).toEqual({ exitCode: 0, signal: null });
    }
    expect(local.size).toBe(0);
    expect(openFdCount()).toBe(before);
    local.close();
  });

  it('bad input gets typed errors, never a crash', async () => {
    expect(() => poller.add(-1)).toThrow(SysError);
    expect(() => poller.add(-1)).toThrow(/EBADF/);
    const { master } = openMaster();
    native.close(master);
    expect(() => poller.add(master)).toThrow(/setNonBlocking\(fd \d+\): EBADF/);
    const out = new Int32Array(2);
    native.socketPair(out);
    const notTty = poller.add(out[0]!);
    expect(() => notTty.resize(80, 24)).toThrow(/ENOTTY/);
    expect(() => notTty.size()).toThrow(/ENOTTY/);
    notTty.shutdown();
    await expect(notTty.write('x')).rejects.toThrow(/shut down/);
    notTty.close();
    native.close(out[1]!);
  });
});
