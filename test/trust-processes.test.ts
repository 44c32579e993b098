// Issue 12, "never touch what is not ours" and "idle is free": a session
// signals only processes it has not reaped, reaps only orphans (never a
// child_process child), passes no stray fd to its server or consoles, and
// does no work at all while nothing happens.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { BIN } from './helpers/cli.js';
import { openMaster, openSlave, sleep } from './helpers/pty.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { alive } from './helpers/tmux.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file: string) => pathToFileURL(path.join(ROOT, 'dist', file)).href;

let s: TestSessions | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** Runs an ES module script with node (optionally under a command prefix); resolves with its stdout as JSON. */
function runScript(source: string, prefix: string[] = [], timeout = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const argv = [...prefix, process.execPath, '--input-type=module', '-e', source];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as Record<string, unknown>);
      } catch {
        reject(new Error(`script exited ${code}: ${out} ${err}`));
      }
    });
  });
}

/** CPU clock ticks (utime + stime) a process has used so far. */
function ticks(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Times any thread of the process went to sleep and was woken (voluntary context switches). */
function wakeups(pid: number): number {
  let n = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      n += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return n;
}

/** Connects to a console socket and hands over a master, as a runtime would. */
async function handOver(sock: string, master: number): Promise<void> {
  const conn = net.connect(sock);
  await new Promise((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
  const payload = Buffer.from('{}');
  if (native.sendFds(fd, payload, 0, payload.length, Int32Array.from([master])) < 0) throw new Error('sendFds failed');
  conn.destroy();
}

describe('never touch what is not ours', () => {
  it('12.3 a console reaped long ago: a new process group with its pid survives the session end; leftovers of a live group still go', async () => {
    // In a pid namespace of its own, the kernel hands out the pid we ask
    // for (ns_last_pid) and nobody else on the machine competes for it.
    const script = `
      import fs from 'node:fs';
      import { spawn } from 'node:child_process';
      import { Session } from '${dist('session/session.js')}';
      const size = { cols: 80, rows: 24 };
      const s = new Session();
      const gone = s.start({ name: 'gone', cmd: 'exit 0' }, [], size);
      const left = s.start({ name: 'left', cmd: "trap '' HUP; sleep 300 & echo $! > /tmp/ptyplex-left-$PPID; read x" }, [], size);
      await gone.ended;
      // The kernel reuses gone's pid for an unrelated process that leads a
      // session and group of its own, as any daemon would.
      // (Once the other console's shell has forked: nothing else here takes pids.)
      while (!fs.existsSync('/tmp/ptyplex-left-' + process.pid)) await new Promise((r) => setTimeout(r, 20));
      const leftover = Number(fs.readFileSync('/tmp/ptyplex-left-' + process.pid, 'utf8'));
      fs.rmSync('/tmp/ptyplex-left-' + process.pid);
      let placed;
      for (let i = 0; i < 20; i++) {
        fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(gone.child.pid - 1));
        placed = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
        if (placed.pid === gone.child.pid) break;
        placed.kill('SIGKILL');
      }
      await left.input(Buffer.from('\\n'));
      await s.whenAllEnded();
      await new Promise((r) => setTimeout(r, 200));
      const alive = (pid) => { try { return !/^\\d+ \\(.*\\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return false; } };
      console.log(JSON.stringify({ gone: gone.child.pid, placed: placed.pid, placedAlive: alive(placed.pid), leftover, leftoverAlive: alive(leftover) }));
      placed.kill('SIGKILL');
      process.exit(0);
    `;
    const r = await runScript(script, ['unshare', '--pid', '--fork', '--mount-proc']);
    expect(r.placed).toBe(r.gone);
    expect(r.placedAlive).toBe(true);
    // The console whose shell exited left a member in its group: the group
    // was never empty, so its number is still ours, and the member goes.
    expect(r.leftoverAlive).toBe(false);
  });

  it("12.4 a subreaper session never reaps a child_process child: its 'exit' comes with its code; no /proc scan while idle; dispose clears the flag", async () => {
    const script = `
      import { spawn, spawnSync } from 'node:child_process';
      import fs from 'node:fs';
      import { startOrphanReaper } from '${dist('console/orphan-reaper.js')}';
      const stop = startOrphanReaper(() => []);
      const reads = () => Number(/syscr: (\\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]);
      // An orphan re-parented to us is still reaped (on SIGCHLD).
      const orphan = Number(spawnSync('sh', ['-c', 'sleep 0.3 & echo $!'], { encoding: 'utf8' }).stdout);
      // The child exits while the loop is busy, as on a loaded server.
      const child = spawn('sh', ['-c', 'exit 7'], { stdio: 'ignore' });
      const exit = new Promise((r) => child.once('exit', (code) => r(code)));
      const until = Date.now() + 1500;
      while (Date.now() < until);
      const code = await Promise.race([exit, new Promise((r) => setTimeout(() => r('no exit event'), 3000))]);
      await new Promise((r) => setTimeout(r, 300)); // the orphan is reaped within a turn or two of the loop
      const zombie = (() => { try { return / Z /.test(fs.readFileSync('/proc/' + orphan + '/stat', 'utf8')); } catch { return false; } })();
      // Idle: nothing exits, nothing is read.
      const before = reads();
      await new Promise((r) => setTimeout(r, 3000));
      const idleReads = reads() - before - 1;
      stop();
      // No longer a subreaper: a new orphan goes to someone else.
      const later = Number(spawnSync('sh', ['-c', 'sleep 5 & echo $!'], { encoding: 'utf8' }).stdout);
      const ppid = Number(fs.readFileSync('/proc/' + later + '/stat', 'utf8').replace(/^.*\\) /, '').split(' ')[1]);
      process.kill(later, 'SIGKILL');
      console.log(JSON.stringify({ code, orphanZombie: zombie, idleReads, laterIsOurs: ppid === process.pid }));
      process.exit(0);
    `;
    const r = await runScript(script);
    expect(r.code).toBe(7);
    expect(r.orphanZombie).toBe(false);
    expect(r.idleReads).toBeLessThanOrEqual(2);
    expect(r.laterIsOurs).toBe(false);
  });

  it('12.5 stray fds: ( ptyplex run -d ... 63>&1 ) | cat returns at once; server and consoles hold only their own fds', async () => {
    s = testSessions();
    const env = { ...s.env, BIN, NODE: process.execPath };
    const t0 = Date.now();
    const r = spawnSync('bash', ['-c', '( "$NODE" "$BIN" run -d -L x "sleep 5" 63>&1 ) | cat'], { env, encoding: 'utf8', timeout: 20_000 });
    const took = Date.now() - t0;
    expect(r.status).toBe(0);
    expect(took).toBeLessThan(4000); // the session lives 5 s; at once is well under that

    const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-fds-'));
    const fdsOf = (name: string) => fs.readFileSync(path.join(logs, `${name}.log`), 'utf8').split(/\s+/).filter((w) => /^\d+$/.test(w)).map(Number).sort((a, b) => a - b);
    // Detached: the caller's fd 63 and fd 300 reach neither server nor console.
    const d = spawnSync('bash', ['-c', 'exec 300>/dev/null; "$NODE" "$BIN" run -d -L y --log-dir "$LOGS" --names d "ls /proc/self/fd; sleep 30" 63>&1'], { env: { ...env, LOGS: logs }, encoding: 'utf8', timeout: 20_000 });
    expect(d.status).toBe(0);
    await until(() => fs.existsSync(path.join(logs, 'd.log')) && fdsOf('d').length > 0, 'ls in the console');
    expect(fdsOf('d')).toEqual([0, 1, 2, 3]); // 3: the directory ls is reading
    const server = s.describe('y').pid;
    const serverFds = fs.readdirSync(`/proc/${server}/fd`).map(Number);
    expect(serverFds).not.toContain(63);
    expect(serverFds).not.toContain(300);
    // In the foreground the server is the caller's own process, but its
    // consoles still get only their terminal.
    const f = spawnSync('bash', ['-c', 'exec 300>/dev/null; "$NODE" "$BIN" run -L z --log-dir "$LOGS" --names f "ls /proc/self/fd" 63>&1'], { env: { ...env, LOGS: logs }, encoding: 'utf8', timeout: 20_000 });
    expect(f.status).toBe(0);
    expect(fdsOf('f')).toEqual([0, 1, 2, 3]);
  });
});

describe('idle is free', () => {
  /** Ticks and wakeups of pid over ms. */
  async function idleCost(pid: number, ms: number): Promise<{ ticks: number; wakeups: number }> {
    const t = ticks(pid);
    const w = wakeups(pid);
    await sleep(ms);
    return { ticks: ticks(pid) - t, wakeups: wakeups(pid) - w };
  }

  it('12.11 an idle session with one sleep console (and a console socket): at most 5 ticks and no periodic wakeup over 5 s', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-idle-'));
    expect(s.cli(['run', '-d', '--adopt', `box=${path.join(dir, 'console.sock')}`, '--names', 'idle', 'sleep 600']).status).toBe(0);
    const server = s.describe().pid;
    await sleep(1500); // start-up settles
    const cost = await idleCost(server, 5000);
    expect(cost.ticks).toBeLessThanOrEqual(5);
    // A timer every second would wake the server at least 5 times.
    expect(cost.wakeups).toBeLessThanOrEqual(2);
  });

  it('12.11 an idle session with 200 hung-up adopted consoles: at most 5 ticks and no periodic wakeup over 5 s', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-idle-'));
    const sock = path.join(dir, 'console.sock');
    expect(s.cli(['run', '-d', '--adopt', `box=${sock}`]).status).toBe(0);
    const server = s.describe().pid;
    for (let i = 0; i < 200; i++) {
      const { master, slavePath } = openMaster();
      native.close(openSlave(slavePath)); // its slave was open once, and is closed: hung up
      await handOver(sock, master);
      native.close(master);
    }
    await until(() => s!.describe().consoles.length === 200 && s!.describe().consoles.every((c) => c.state === 'hung up'), '200 hung-up consoles', 20_000);
    await sleep(1500);
    const cost = await idleCost(server, 5000);
    expect(cost.ticks).toBeLessThanOrEqual(5);
    expect(cost.wakeups).toBeLessThanOrEqual(2);
  });
});
