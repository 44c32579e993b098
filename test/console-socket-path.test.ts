// Review of 12.1: only the console socket's own directory is checked (and
// through symlinks). Another user who controls any component of the path
// (a symlink they own, or a parent they can write) swaps the directory
// after ptyplex accepted it, binds their own socket at the same path, and
// the runtime hands the container's terminal to them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerUid } from '../src/server/unix-socket.js';
import { testSessions, type TestSessions } from './helpers/session.js';

const NOBODY = 65534;
let s: TestSessions | undefined;
const dirs: string[] = [];
afterEach(() => {
  s?.cleanup();
  s = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function asNobody(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', cmd], { stdio: 'inherit' });
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`as nobody: ${cmd}: exit ${code}`))));
  });
}

// nobody listens on sock (a plain unix socket server); resolves once listening, with its stop.
async function nobodyListens(sock: string): Promise<() => void> {
  const c = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e',
    `require('net').createServer((c) => c.destroy()).listen(${JSON.stringify(sock)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => c.stdout.once('data', () => resolve()));
  return () => c.kill('SIGKILL');
}

// Whose server the runtime reaches when it connects to sock.
function runtimeReaches(sock: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock, () => {
      const uid = peerUid(c);
      c.destroy();
      resolve(uid);
    });
    c.once('error', reject);
  });
}

function scratch(mode: number): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-cs-'));
  fs.chmodSync(d, mode);
  dirs.push(d);
  return d;
}

describe('12.1 (review) every directory on the console socket\'s path', () => {
  it('a directory reached through another user\'s symlink is refused', async () => {
    s = testSessions();
    const top = scratch(0o1777); // like /tmp
    fs.mkdirSync(path.join(top, 'private'), { mode: 0o700 });
    await asNobody(`ln -s ${top}/private ${top}/work`);
    const r = s.cli(['adopt', '-L', 'cs', '--console-socket', `${top}/work/box.sock`]);
    // Refused, saying why; were it accepted, nobody could re-point the link:
    if (r.status !== 0) {
      expect(r.stderr).toMatch(/^ptyplex: console socket directory .*work is reached through .*work, a symlink of uid 65534; refusing to use it\n$/);
      return;
    }
    await asNobody(`mkdir -m 700 ${top}/evil && rm ${top}/work && ln -s ${top}/evil ${top}/work`);
    const stop = await nobodyListens(`${top}/evil/box.sock`);
    try {
      // Today: adopt accepted the path, and the runtime now reaches nobody's socket.
      expect(await runtimeReaches(`${top}/work/box.sock`)).not.toBe(NOBODY);
    } finally {
      stop();
    }
  }, 30_000);

  it('a directory whose parent others can write (not sticky) is refused', async () => {
    s = testSessions();
    const top = scratch(0o777); // a shared, non-sticky directory
    fs.mkdirSync(path.join(top, 'work'), { mode: 0o700 });
    const r = s.cli(['adopt', '-L', 'cs', '--console-socket', `${top}/work/box.sock`]);
    // Refused, saying why; were it accepted, nobody could swap the directory:
    if (r.status !== 0) {
      expect(r.stderr).toMatch(/^ptyplex: console socket directory .*work: .* (above it|on its path) is writable by group or others \(mode 0777\) and not sticky; refusing to use it\n$/);
      return;
    }
    // rename(2) of a directory within the same parent needs only write on the parent.
    await asNobody(`mv ${top}/work ${top}/old && mkdir -m 700 ${top}/work`);
    const stop = await nobodyListens(`${top}/work/box.sock`);
    try {
      expect(await runtimeReaches(`${top}/work/box.sock`)).not.toBe(NOBODY);
    } finally {
      stop();
    }
  }, 30_000);
});
