// Issue 12, security and "never hang": a console socket nobody else can
// replace, no keys kept for a hung-up terminal, one server per socket, no
// command hung by one stopped server. Real processes, sockets, PTYs and a
// real second user (nobody).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsolePoller } from '../src/console/index.js';
import { native } from '../src/native.js';
import { ControlClient } from '../src/server/control-client.js';
import { EAGAIN } from '../src/sys-error.js';
import { openMaster, openSlave, sleep } from './helpers/pty.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

const NOBODY = 65534;
let s: TestSessions | undefined;

afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** Connects to a console socket and sends a PTY master, as runc does. */
async function sendMaster(sock: string, master: number): Promise<void> {
  const conn = net.connect(sock);
  await new Promise((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
  const payload = Buffer.from('/dev/pts/x');
  const r = native.sendFds(fd, payload, 0, payload.length, Int32Array.of(master));
  conn.destroy();
  if (r < 0) throw new Error(`sendFds: errno ${-r}`);
}

/** A PTY master whose slave was opened and closed again: what a container leaves when it exits. */
function hungUpMaster(): { master: number; slavePath: string } {
  const m = openMaster();
  fs.closeSync(openSlave(m.slavePath));
  return m;
}

/** What a non-blocking read of a freshly opened slave finds within ms: '' if nothing. */
async function readSlave(slavePath: string, ms: number): Promise<string> {
  const slave = openSlave(slavePath);
  try {
    native.setNonBlocking(slave, true);
    await sleep(ms);
    const buf = Buffer.alloc(4096);
    const n = native.read(slave, buf, 0, buf.length);
    if (n === EAGAIN) return '';
    return n > 0 ? buf.toString('utf8', 0, n) : `errno ${-n}`;
  } finally {
    fs.closeSync(slave);
  }
}

/** Waits (up to ms) for what an open slave reads: a line the console typed into it. */
async function readFrom(slave: number, ms = 5000): Promise<string> {
  native.setNonBlocking(slave, true);
  const buf = Buffer.alloc(4096);
  const deadline = Date.now() + ms;
  for (;;) {
    const n = native.read(slave, buf, 0, buf.length);
    if (n > 0) return buf.toString('utf8', 0, n);
    if (n !== EAGAIN || Date.now() > deadline) return '';
    await sleep(20);
  }
}

/**
 * Another user's attempt to take a console socket's place: unlink it, bind
 * its own; says 'listening', then 'stolen' if a runtime connects to it.
 */
function thief(sock: string): { said: () => string; kill: () => void; done: Promise<void> } {
  const script = `
    const net = require('net'), fs = require('fs'), p = process.argv[1];
    try { fs.unlinkSync(p); } catch (e) { if (e.code !== 'ENOENT') { console.log('unlink ' + e.code); process.exit(0); } }
    net.createServer(() => { console.log('stolen'); process.exit(0); })
      .on('error', (e) => { console.log('bind ' + e.code); process.exit(0); })
      .listen(p, () => console.log('listening'));
    setTimeout(() => process.exit(0), 8000);`;
  const child = spawn(process.execPath, ['-e', script, sock], { uid: NOBODY, gid: NOBODY, cwd: '/', env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { said: () => out, kill: () => child.kill('SIGKILL'), done: new Promise((r) => child.once('close', () => r())) };
}

/** Kills every process left running with this test's private runtime directory in its environment. */
function killStrays(runtime: string): void {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`XDG_RUNTIME_DIR=${runtime}`)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already, or not ours to read.
    }
  }
}

describe('12.1 the console socket directory', () => {
  it('12.1 a console socket in a directory others can write is refused; nobody cannot steal the container terminal', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-open-'));
    fs.chmodSync(dir, 0o777);
    const sock = path.join(dir, 'cs');
    const adopt = s.cli(['adopt', '--console-socket', sock, '--name', 'box']);
    // nobody replaces whatever is at the path; a script runs the runtime
    // once adopt said yes, and the runtime hands over its PTY.
    const t = thief(sock);
    await until(() => t.said() !== '', 'the thief to be in place');
    if (adopt.status === 0) {
      const { master } = openMaster();
      await sendMaster(sock, master);
      native.close(master);
      await until(() => t.said().includes('stolen') || s!.describe().consoles.length > 0, 'the console to arrive somewhere');
    }
    t.kill();
    await t.done;
    expect(t.said()).not.toContain('stolen');
    expect(adopt.status).not.toBe(0);
    expect(adopt.stderr).toBe(`ptyplex: console socket directory ${dir} is writable by group or others (mode 0777) and not sticky; refusing to use it (chmod 700 it, or leave out --console-socket for a private one)\n`);
    // Group-writable is as bad.
    fs.chmodSync(dir, 0o770);
    expect(s.cli(['adopt', '--console-socket', sock]).stderr).toMatch(/mode 0770\) and not sticky; refusing/);
  });

  it('12.1 a sticky directory (like /tmp) is accepted: nobody cannot unlink our socket', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-sticky-'));
    fs.chmodSync(dir, 0o1777);
    const sock = path.join(dir, 'cs');
    expect(s.cli(['adopt', '--console-socket', sock, '--name', 'box'])).toMatchObject({ status: 0, stderr: '' });
    const t = thief(sock);
    await t.done;
    expect(t.said()).toBe('unlink EPERM\n');
    const { master } = openMaster();
    await sendMaster(sock, master);
    native.close(master);
    await until(() => s!.describe().consoles.some((c) => c.name === 'box'), 'box to be adopted');
  });

  it('12.1 without --console-socket, adopt makes a private 0700 directory and prints the socket path', async () => {
    s = testSessions();
    const r = s.cli(['adopt', '--name', 'box']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const sock = r.stdout.trim();
    expect(r.stdout).toBe(`${sock}\n`);
    const st = fs.statSync(path.dirname(sock));
    expect({ mode: st.mode & 0o7777, uid: st.uid }).toEqual({ mode: 0o700, uid: process.getuid!() });
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    // A second one, with a session running, gets a directory of its own.
    const again = s.cli(['adopt', '--name', 'web']);
    expect(again.status).toBe(0);
    expect(path.dirname(again.stdout.trim())).not.toBe(path.dirname(sock));
    const { master } = openMaster();
    await sendMaster(sock, master);
    native.close(master);
    await until(() => s!.describe().consoles.some((c) => c.name === 'box'), 'box to be adopted');
    // The directory goes with the session.
    expect(s.cli(['kill-server']).status).toBe(0);
    await until(() => !fs.existsSync(path.dirname(sock)) && !fs.existsSync(path.dirname(again.stdout.trim())), 'the private directories to be removed');
  });
});

// A session whose console "box" is an adopted master with no slave open
// (a container that exited); returns the slave's path, to open it later.
async function hungUpBox(): Promise<string> {
  s = testSessions();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-hup-'));
  const sock = path.join(dir, 'cs');
  expect(s.cli(['run', '-d', '--adopt', `box=${sock}`]).status).toBe(0);
  const { master, slavePath } = hungUpMaster();
  await sendMaster(sock, master);
  native.close(master);
  await until(() => s!.describe().consoles.find((c) => c.name === 'box')?.state === 'hung up', 'box to be hung up');
  return slavePath;
}

describe('12.2 input to a hung-up console', () => {
  it('12.2 send to a console whose terminal nobody has open fails, and nothing reaches whoever opens it next', async () => {
    const slavePath = await hungUpBox();
    const send = s.cli(['send', 'box', '--keys', 'rm -rf ~/scratch', 'Enter']);
    expect(send).toMatchObject({ status: 1, stderr: 'ptyplex: console "box" is hung up (nothing has its terminal open); nothing was sent\n' });
    // A later `runc exec -t` (here: we) opens the terminal: nothing was kept for it.
    expect(await readSlave(slavePath, 300)).toBe('');
    // With a slave open again, input flows.
    const slave = openSlave(slavePath);
    try {
      expect(s.cli(['send', 'box', '--keys', 'echo back', 'Enter']).status).toBe(0);
      expect(await readFrom(slave)).toBe('echo back\n');
    } finally {
      fs.closeSync(slave);
    }
  });

  it('12.2 an attached client is told once that the console is hung up; its keys are dropped until a slave is open', async () => {
    const slavePath = await hungUpBox();
    const client = await ControlClient.connect(s.describe().socket);
    const events: Array<Record<string, unknown>> = [];
    client.on('message', (m) => events.push(m));
    try {
      await client.request({ op: 'attach', console: 'box', readOnly: false, cols: 80, rows: 24 });
      for (const keys of ['rm -rf ', '~/scratch', '\r']) {
        client.sendData(Buffer.from(keys));
        await sleep(100);
      }
      await until(() => events.length > 0, 'the hang-up notice');
      await sleep(300);
      expect(events).toEqual([{ event: 'hung-up', console: 'box' }]);
      expect(await readSlave(slavePath, 300)).toBe('');
      // A slave open again: keys reach it.
      const slave = openSlave(slavePath);
      try {
        client.sendData(Buffer.from('ok\r'));
        expect(await readFrom(slave)).toBe('ok\n');
      } finally {
        fs.closeSync(slave);
      }
    } finally {
      client.close();
    }
  });

  it('12.2 the library refuses a write to a master whose slave is closed', async () => {
    const { master, slavePath } = hungUpMaster();
    const poller = new ConsolePoller();
    const c = poller.add(master);
    try {
      await expect(c.write('rm -rf ~/scratch\r')).rejects.toMatchObject({ name: 'ConsoleHungUpError', code: 'ERR_CONSOLE_HUNG_UP' });
      expect(await readSlave(slavePath, 100)).toBe('');
    } finally {
      c.close();
      poller.close();
    }
  });
});

describe('12.6 one server per socket', () => {
  it('12.6 two servers on one socket: ten simultaneous starts after a crash, exactly one serves, nine say already running', async () => {
    s = testSessions();
    const runtime = s.runtime;
    try {
      // A crashed server leaves its socket behind: stale.
      expect(s.cli(['run', '-d', '-L', 'same', '--names', 'v', 'sleep 600']).status).toBe(0);
      process.kill(s.describe('same').pid, 'SIGKILL');
      const sock = path.join(runtime, 'ptyplex', 'same');
      await until(() => s!.cli(['ls', '-L', 'same']).status !== 0, 'the server to be gone');
      expect(fs.lstatSync(sock).isSocket()).toBe(true);
      const starts = Array.from({ length: 10 }, () => s!.start(['run', '-d', '-L', 'same', '--names', 'v', 'sleep 600']));
      const results = await Promise.all(starts.map((x) => x.done));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((x) => x === 0)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 0)) expect(r.stderr).toBe(`ptyplex: session "same" is already running (${sock})\n`);
      // The one that serves is reachable, and it is the only server process.
      const info = s.describe('same');
      const servers = fs.readdirSync('/proc').filter((p) => {
        try {
          return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/environ`, 'utf8').includes(`XDG_RUNTIME_DIR=${runtime}`) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('run\0-d');
        } catch {
          return false;
        }
      });
      expect(servers).toEqual([String(info.pid)]);
    } finally {
      killStrays(runtime);
    }
  });

  it('12.6 a start while another holds the socket lock (mid-start) says already running, and starts once the lock is free', async () => {
    s = testSessions();
    fs.mkdirSync(path.join(s.runtime, 'ptyplex'), { mode: 0o700 });
    const sock = path.join(s.runtime, 'ptyplex', 'same');
    const lock = fs.openSync(`${sock}.lock`, 'w', 0o600);
    try {
      expect(native.lockFile(lock)).toBe(0);
      expect(s.cli(['run', '-d', '-L', 'same', '--names', 'v', 'sleep 600'])).toMatchObject({ status: 1, stderr: `ptyplex: session "same" is already running (${sock})\n` });
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      fs.closeSync(lock);
    }
    expect(s.cli(['run', '-d', '-L', 'same', '--names', 'v', 'sleep 600']).status).toBe(0);
    expect(s.describe('same').consoles.map((c) => c.name)).toEqual(['v']);
  });

  it('12.6 a server removes its socket on exit only if the file there is still the one it bound', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-inode-'));
    const sock = path.join(dir, 'x.sock');
    expect(s.cli(['run', '-d', '-S', sock, '--names', 'v', 'sleep 600']).status).toBe(0);
    const pid = (JSON.parse(s.cli(['ls', '--json', '-S', sock]).stdout) as Array<{ pid: number }>)[0]!.pid;
    fs.renameSync(sock, `${sock}.moved`);
    // Someone else's socket at the path now.
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(sock, r));
    try {
      expect(s.cli(['kill-server', '-S', `${sock}.moved`]).status).toBe(0);
      await until(() => !fs.existsSync(`/proc/${pid}`), 'the server to exit');
      expect(fs.lstatSync(sock).isSocket()).toBe(true);
    } finally {
      other.close();
    }
  });
});

describe('12.7 a stopped server', () => {
  it('12.7 one stopped server hangs no command: ls says not responding, a lookup by console name skips it with a warning', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'good', '--names', 'one', 'sh']).status).toBe(0);
    expect(s.cli(['run', '-d', '-L', 'stuck', '--names', 'two', 'sleep 600']).status).toBe(0);
    const pid = s.describe('stuck').pid;
    process.kill(pid, 'SIGSTOP');
    try {
      let t0 = Date.now();
      const ls = s.cli(['ls'], { timeout: 15_000 });
      const lsMs = Date.now() - t0;
      expect(ls.status).toBe(0);
      expect(ls.stdout).toMatch(/^good +one +\d+ +running /m);
      expect(ls.stdout).toMatch(/^stuck +- +- +not responding +- +- +- +- +-$/m);
      expect(lsMs).toBeLessThan(10_000);
      const json = JSON.parse(s.cli(['ls', '--json'], { timeout: 15_000 }).stdout) as Array<{ name: string; state?: string }>;
      expect(json.find((x) => x.name === 'stuck')).toMatchObject({ state: 'not responding' });
      t0 = Date.now();
      const send = s.cli(['send', 'one', 'echo hi-$((2+3))\n'], { timeout: 15_000 });
      expect(send).toMatchObject({ status: 0, stderr: 'ptyplex: session "stuck" is not responding; skipped it\n' });
      expect(s.cli(['expect', 'one', 'hi-\\d'], { timeout: 15_000 })).toMatchObject({ status: 0, stdout: 'hi-5\n' });
      const tee = s.cli(['tee', 'one', '--no-follow'], { timeout: 15_000 });
      expect(tee.status).toBe(0);
      expect(tee.stderr).toBe('ptyplex: session "stuck" is not responding; skipped it\n');
      // Its own console, asked for by name, is not found; asked with -L, the deadline says why.
      expect(s.cli(['send', 'two', 'x'], { timeout: 15_000 }).stderr).toMatch(/not responding; skipped it\nptyplex: no console "two" in any session that answered \(good\)\n$/);
      expect(s.cli(['ls', '-L', 'stuck'], { timeout: 15_000 })).toMatchObject({ status: 1, stderr: `ptyplex: session "stuck" is not responding (server pid ${pid}, no answer within 1s)\n` });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
