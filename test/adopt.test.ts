// Adopting container consoles: real runc containers hand their PTY master to
// a session over --console-socket; a small test peer (the native SCM_RIGHTS
// send) plays a runtime that misbehaves. The console is then a console like
// any other: logged, sent to, expected from, listed, and hung up is a state
// it can leave.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { openMaster, openSlave, sleep } from './helpers/pty.js';
import { containerStatus, makeBundle, removeContainers, runContainer } from './helpers/runc.js';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { TmuxServer } from './helpers/tmux.js';

let s: TestSessions;
const tmux = new TmuxServer(`ptyplex-adopt-${process.pid}`);
afterEach(() => s?.cleanup());
afterAll(() => {
  tmux.kill();
  removeContainers();
});

/** A session adopting on a fresh console socket, logging to a fresh directory. */
function adoptingSession(name = 'box', extra: string[] = []): { sock: string; logs: string; serverLog: () => string } {
  s = testSessions();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-adopt-'));
  const sock = path.join(dir, 'console.sock');
  const logs = path.join(dir, 'logs');
  const r = s.cli(['run', '-d', '--log-dir', logs, '--adopt', `${name}=${sock}`, ...extra]);
  expect(r).toMatchObject({ status: 0, stderr: '' });
  expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
  return { sock, logs, serverLog: () => fs.readFileSync(path.join(s.runtime, 'ptyplex', 'default.log'), 'utf8') };
}

/** Connects to a console socket and sends payload with fds, as a runtime would. */
async function sendConsole(sock: string, payload: Buffer, fds: number[], opts: { stayOpen?: number } = {}): Promise<void> {
  const conn = net.connect(sock);
  await new Promise((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
  if (payload.length > 0 || fds.length > 0) {
    const r = native.sendFds(fd, payload, 0, payload.length, Int32Array.from(fds));
    if (r < 0) throw new Error(`sendFds: errno ${-r}`);
  }
  if (opts.stayOpen) await sleep(opts.stayOpen);
  conn.destroy();
}

const log = (logs: string, name: string) => {
  const file = path.join(logs, `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
};

describe('adopting runc consoles', () => {
  it('a container shell: banner in the log, send and expect reach it, it hangs up when it exits', async () => {
    const { sock, logs } = adoptingSession();
    const bundle = makeBundle(['/bin/sh', '-c', 'echo banner-from-the-container; exec /bin/sh']);
    const id = runContainer(bundle, sock);
    await until(() => log(logs, 'box').includes('banner-from-the-container'), 'the banner in the log');
    const info = s.describe().consoles[0]!;
    expect(info).toMatchObject({ name: 'box', pid: null, state: 'running', cols: 80, rows: 24 });
    expect(s.cli(['send', 'box', '--keys', 'echo in-container-$((6*7))', 'Enter']).status).toBe(0);
    expect(s.cli(['expect', 'box', 'in-container-\\d+'])).toMatchObject({ status: 0, stdout: 'in-container-42\n' });
    // Hang-up is a state, not an end: the console stays, says so, and reads nothing.
    s.cli(['send', 'box', '--keys', 'exit', 'Enter']);
    await until(() => containerStatus(id) === 'stopped', 'the container to stop');
    await until(() => s.describe().consoles[0]!.state === 'hung up', 'ls to say hung up');
    expect(s.cli(['ls']).stdout).toMatch(/\ndefault +box +- +hung up +0 +80x24 /);
    expect(s.cli(['kill-server']).status).toBe(0);
    expect(log(logs, 'box')).toMatch(/in-container-42\r\n/);
  });

  it('attach in a terminal and type into the container', async () => {
    const { sock, logs } = adoptingSession();
    runContainer(makeBundle(['/bin/sh', '-c', 'echo ready-to-type; exec /bin/sh']), sock);
    await until(() => log(logs, 'box').includes('ready-to-type'), 'the container');
    const pane = tmux.newPane({ cols: 90, rows: 25, env: { XDG_RUNTIME_DIR: s.runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    try {
      pane.line(`'${process.execPath}' '${BIN}' attach box`);
      await until(() => pane.screen().includes('ready-to-type'), 'the replay');
      pane.line('echo typed-into-the-container-$((4*5)); stty size');
      await until(() => /^typed-into-the-container-20$/m.test(pane.screen()), 'the answer on the screen');
      // The container's terminal took the attached terminal's size.
      await until(() => /^25 90$/m.test(pane.screen()), 'stty size in the container');
      pane.keys('C-p', 'C-q');
      await until(() => pane.screen().includes('[detached from box]'), 'the detach');
      expect(log(logs, 'box')).toContain('typed-into-the-container-20\r\n');
    } finally {
      pane.kill();
    }
  });

  it('a container started by a console of the session ends its adopted console with its exit status', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-reap-'));
    const sock = path.join(dir, 'c.sock');
    const bundle = makeBundle(['/bin/sh', '-c', 'echo bye-from-container; sleep 0.5; exit 3']);
    const id = `ptyplex-reap-${process.pid}`;
    fs.writeFileSync(path.join(dir, 'ptyplex.yaml'), `consoles:\n  box:\n    adopt: ${sock}\n  runtime:\n    cmd: runc run -d --console-socket ${sock} -b ${bundle} ${id}\n`);
    try {
      const r = spawnSync(process.execPath, [BIN, 'run', '-f', path.join(dir, 'ptyplex.yaml')], { env: s.env, encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout).toMatch(/box +\| bye-from-container/);
      expect(r.stdout).toMatch(/box +\| box exited with code 3/);
      // --success all: the first failure's status is the run's.
      expect(r.status).toBe(3);
    } finally {
      spawnSync('runc', ['delete', '--force', id]);
    }
  });

  it('a session that adopts (a child subreaper) leaves no zombie of the orphans its consoles make', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-orphans-'));
    expect(s.cli(['run', '-d', '--adopt', `x=${path.join(dir, 'c.sock')}`, '--names', 'forker', 'for i in 1 2 3 4 5; do (sleep 0.2 &); done; sleep 1000']).status).toBe(0);
    const server = s.describe().pid;
    const zombies = () => spawnSync('ps', ['--ppid', String(server), '-o', 'stat='], { encoding: 'utf8' }).stdout.split('\n').filter((st) => st.startsWith('Z')).length;
    // The five orphans die after 0.2 s; the sweeper runs every second.
    await sleep(2500);
    expect(zombies()).toBe(0);
  });

  it('output at container exit is not lost', async () => {
    const { sock, logs } = adoptingSession();
    const bundle = makeBundle(['/bin/sh', '-c', 'sleep 0.3; seq 1 20000; echo END-OF-OUTPUT']);
    runContainer(bundle, sock);
    await until(() => log(logs, 'box').includes('END-OF-OUTPUT'), 'the last line', 20_000);
    const lines = log(logs, 'box').split('\r\n');
    expect(lines.slice(0, 20000)).toEqual(Array.from({ length: 20000 }, (_, i) => String(i + 1)));
  });

  it('ten containers through one socket: ten consoles, each with its own log', async () => {
    const { sock, logs } = adoptingSession('ctr');
    const ids = Array.from({ length: 10 }, (_, i) => {
      const bundle = makeBundle(['/bin/sh', '-c', `echo I am container ${i}; exec sleep 60`]);
      return runContainer(bundle, sock);
    });
    const names = ['ctr', ...Array.from({ length: 9 }, (_, i) => `ctr-${i + 2}`)];
    await until(() => s.describe().consoles.length === 10, 'ten consoles');
    expect(s.describe().consoles.map((c) => c.name)).toEqual(names);
    // Containers were started one after the other, so console k is container k.
    for (const [k, name] of names.entries()) await until(() => log(logs, name).includes(`I am container ${k}\r\n`), `${name}'s log`);
    expect(ids).toHaveLength(10);
  });

  it('a runtime that connects and closes with no fd (our peer; crun where it cannot run) is refused, and the listener goes on', async () => {
    const { sock, serverLog } = adoptingSession();
    // What crun does on a host where it cannot start containers (cgroups in
    // hybrid mode, see README), played by our own peer so no host decides.
    await sendConsole(sock, Buffer.alloc(0), []);
    await until(() => serverLog().includes('refused a connection: closed without sending a console'), 'the refusal');
    // crun itself, whichever way it goes on this host: refused, or adopted.
    const name = `crun-${process.pid}`;
    const r = spawnSync('crun', ['run', '-d', '--console-socket', sock, '-b', makeBundle(['/bin/sh', '-c', 'echo hi; exec sleep 60']), name], { encoding: 'utf8' });
    const crunRan = r.status === 0;
    if (crunRan) await until(() => s.describe().consoles.length === 1, 'the crun console');
    runContainer(makeBundle(['/bin/sh', '-c', 'echo after-crun; exec sleep 60']), sock);
    await until(() => s.describe().consoles.length === (crunRan ? 2 : 1), 'the runc console');
    if (crunRan) spawnSync('crun', ['delete', '-f', name]);
  });
});

describe('the console socket', () => {
  it('output written before adoption is kept; hung up costs no CPU and ends when a slave comes back', async () => {
    const { sock, logs } = adoptingSession('pty');
    const { master, slavePath } = openMaster();
    let slave = openSlave(slavePath);
    fs.writeSync(slave, 'written before adoption\n');
    await sendConsole(sock, Buffer.from('/dev/ptmx'), [master]);
    native.close(master);
    await until(() => log(logs, 'pty').includes('written before adoption\r\n'), 'the early output');
    fs.closeSync(slave);
    await until(() => s.describe().consoles[0]!.state === 'hung up', 'hung up');
    const server = s.describe().pid;
    const cpu = () => fs.readFileSync(`/proc/${server}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0);
    const before = cpu();
    await sleep(2000);
    const ticks = cpu() - before;
    expect(ticks, 'clock ticks of server CPU while hung up for 2 s').toBeLessThan(20);
    slave = openSlave(slavePath);
    fs.writeSync(slave, 'after the slave came back\n');
    await until(() => log(logs, 'pty').includes('after the slave came back\r\n'), 'output after reopening');
    expect(s.describe().consoles[0]!.state).toBe('running');
    fs.closeSync(slave);
  });

  it('--close-on-hangup ends a console after its last slave closes, after draining it', async () => {
    const { sock, logs } = adoptingSession('pty', ['--close-on-hangup=200ms']);
    const { master, slavePath } = openMaster();
    const slave = openSlave(slavePath);
    await sendConsole(sock, Buffer.from(' '), [master]); // crun's payload: one space
    native.close(master);
    await until(() => s.describe().consoles.length === 1, 'adopted');
    fs.writeSync(slave, 'last words\n');
    fs.closeSync(slave);
    await until(() => s.describe().consoles[0]?.state === 'closed', 'the console to close');
    expect(log(logs, 'pty')).toBe('last words\r\n');
  });

  it('refuses what no runtime sends, with a reason, and keeps serving', async () => {
    const { sock, serverLog } = adoptingSession('pty');
    const server = s.describe().pid;
    const fdCount = () => fs.readdirSync(`/proc/${server}/fd`).length;
    const baseline = fdCount();
    const [r, w] = (() => {
      const pair = new Int32Array(2);
      if (native.socketPair(pair) < 0) throw new Error('socketpair');
      return [pair[0]!, pair[1]!];
    })();
    await sendConsole(sock, Buffer.from('no fd here'), []);
    await sendConsole(sock, Buffer.from('/dev/ptmx'), [r]); // not a terminal
    const slaveOnly = openMaster();
    const slaveFd = openSlave(slaveOnly.slavePath);
    await sendConsole(sock, Buffer.from('/dev/pts/x'), [slaveFd]); // a terminal, but the slave end
    fs.closeSync(slaveFd);
    native.close(slaveOnly.master);
    await sendConsole(sock, Buffer.alloc(5000, 0x61), [openMaster().master]); // oversized name
    await sendConsole(sock, Buffer.alloc(0), []); // connects and closes, as a failing runtime does
    const stall = sendConsole(sock, Buffer.alloc(0), [], { stayOpen: 6000 });
    const two = openMaster();
    const extra = openMaster();
    await sendConsole(sock, Buffer.from('/dev/ptmx'), [two.master, extra.master]); // the second is closed
    await stall;
    for (const reason of [
      'refused a connection: a message without a file descriptor',
      'refused a connection: a file descriptor that is not a PTY master',
      'refused a connection: a name longer than 4095 bytes',
      'refused a connection: closed without sending a console',
      'refused a connection: sent nothing for 5s',
      'closed 1 extra file descriptor(s) sent with a console',
    ]) {
      expect(serverLog()).toContain(reason);
    }
    expect(serverLog().match(/not a PTY master/g)).toHaveLength(2);
    // Exactly one console came through: the one with two fds, and nothing
    // leaked: the server holds its master and its log, no more.
    await until(() => s.describe().consoles.length === 1, 'the good console');
    expect(fdCount()).toBe(baseline + 2);
    const slave = openSlave(two.slavePath);
    fs.writeSync(slave, 'still serving\n');
    await until(() => s.cli(['tee', 'pty', '--no-follow']).stdout.includes('still serving'), 'output of the good console');
    fs.closeSync(slave);
    for (const fd of [r, w, two.master, extra.master]) native.close(fd);
  }, 30_000);

  it('ptyplex adopt asks a running session to listen, and refuses a path that is not a stale socket', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'sh', 'sh']).status).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-adopt-'));
    const sock = path.join(dir, 'c.sock');
    expect(s.cli(['adopt', '--console-socket', sock, '--name', 'late', '--once'])).toMatchObject({ status: 0, stderr: '' });
    const { master, slavePath } = openMaster();
    await sendConsole(sock, Buffer.from('/dev/ptmx'), [master]);
    native.close(master);
    await until(() => s.describe().consoles.map((c) => c.name).join() === 'sh,late', 'the adopted console');
    // --once: the socket is gone after the first console.
    await until(() => !fs.existsSync(sock), 'the socket to go');
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    expect(s.cli(['adopt', '--console-socket', file])).toMatchObject({ status: 1, stderr: `ptyplex: ${file} exists and is not a socket; refusing to replace it\n` });
    const slave = openSlave(slavePath);
    fs.writeSync(slave, 'via adopt\n');
    await until(() => s.cli(['tee', 'late', '--no-follow']).stdout === 'via adopt\r\n', 'its output');
    fs.closeSync(slave);
  });
});
