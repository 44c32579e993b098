// A hostile outside review of the newest parts (posix_spawn consoles, the
// upgrade, the output path): each test is one fault found, failing before
// its fix. Real processes, sockets and another uid (nobody).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleReadable, spawn } from '../src/console/index.js';
import { NOBODY } from './helpers/as-nobody.js';
import { startWeb } from './helpers/browser.js';
import { BIN } from './helpers/cli.js';
import { testSessions } from './helpers/session.js';

const s = testSessions();
// A shared sticky directory, as /tmp is: anyone may create, only owners remove.
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-'));
fs.chmodSync(shared, 0o1777);
afterAll(() => {
  s.cleanup();
  // A server a failing test left hanging on a socket in the shared directory.
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(shared)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  fs.rmSync(shared, { recursive: true, force: true });
});

/** Runs a command as nobody; throws if it could not. */
function asNobody(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} as nobody: ${r.stderr}`);
}

describe('review: the upgrade mark next to a -S socket', () => {
  it('another user\'s entry at SOCKET.upgrading neither stops the server from starting nor breaks it after an upgrade', () => {
    const sock = path.join(shared, 'mark.sock');
    // Planted before the server starts: a directory, which nobody but its owner removes.
    asNobody('mkdir', [`${sock}.upgrading`]);
    const run = s.cli(['run', '-d', '-S', sock, '--names', 'a', 'sleep 300'], { timeout: 20_000 });
    expect(run).toMatchObject({ status: 0, stderr: '' });
    const up = s.cli(['upgrade', '-S', sock], { timeout: 30_000 });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    // The resumed server is whole: it stops when asked, and logged no internal error.
    const kill = s.cli(['kill-server', '-S', sock], { timeout: 15_000 });
    expect(kill).toMatchObject({ status: 0, stderr: '' });
    expect(fs.readFileSync(`${sock}.log`, 'utf8')).not.toMatch(/internal error/);
    // The planted entry is not ours: it is left alone.
    expect(fs.statSync(`${sock}.upgrading`).isDirectory()).toBe(true);
  }, 60_000);
});

/** Everything a console shows until its child has ended. */
async function outputOf(c: ReturnType<typeof spawn>): Promise<string> {
  let out = '';
  new ConsoleReadable(c.console).on('data', (d: Buffer) => (out += d.toString()));
  await c.exited;
  return out;
}

describe('review: spawn looks programs up as execvp does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-prog-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a bare name that is not in PATH is not run from the cwd (a planted file there)', () => {
    fs.writeFileSync(path.join(dir, 'planted-prog'), '#!/bin/sh\necho planted-ran\n', { mode: 0o755 });
    expect(() => spawn('planted-prog', [], { cwd: dir, env: { PATH: '/usr/bin:/bin' } })).toThrow(/ENOENT/);
  });

  it('a script with no #! line runs with /bin/sh, with its arguments', async () => {
    fs.writeFileSync(path.join(dir, 'plain-script'), 'echo "plain-ran $1"\n', { mode: 0o755 });
    const c = spawn('./plain-script', ['arg1'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    expect(await outputOf(c)).toContain('plain-ran arg1');
  });
});

describe('review: a command\'s error is one line', () => {
  it('tee of a console in no session says so in one line, no stack trace (one name, and two)', () => {
    for (const names of [['nosuch'], ['nosuch', 'other']]) {
      const r = s.cli(['tee', '-L', 'no-such-session', ...names]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^ptyplex: no session at \S+\n$/);
    }
  });
});

describe('review: the CLI bundle finds the files beside the package', () => {
  it('ptyplex web, run from the bundle, starts and serves its page', async () => {
    expect(s.cli(['run', '-d', '-L', 'webpage', 'sleep 300']).status).toBe(0);
    const w = await startWeb(s, ['-L', 'webpage']);
    try {
      const page = await fetch(`${w.base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
    } finally {
      w.kill();
    }
  }, 30_000);
});

describe('review: a console whose program cannot be run', () => {
  it('run (and run -d) says which console and why in one line, instead of ending silently (run -d: with status 0)', () => {
    for (const detach of [[], ['-d']]) {
      const r = spawnSync(process.execPath, [BIN, 'run', ...detach, '-L', `noshell${detach.length}`, '--names', 'hello', 'echo hi'], { env: { ...s.env, SHELL: '/nonexistent/sh' }, encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toMatch(/^ptyplex: cannot start "hello": .*ENOENT.*\n$/);
      expect(r.status).not.toBe(0);
    }
  }, 60_000);
});

describe('review: the compile cache the bin asks Node for', () => {
  // Node 22.1+'s default is os.tmpdir()/node-compile-cache, shared by every
  // user: another uid can make this user's subdirectory there first and fill
  // it with code V8 then runs. A stub records what the bin asks for (this
  // Node may have no compile cache at all).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-cache-'));
  const stub = path.join(dir, 'stub.cjs');
  fs.writeFileSync(stub, "require('node:module').enableCompileCache = (d) => { require('node:fs').appendFileSync(process.env.STUB_OUT, JSON.stringify(d ?? null) + '\\n'); return { status: 0 }; };\n");
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function asked(env: NodeJS.ProcessEnv): Array<string | null> {
    const out = path.join(dir, `asked-${Math.random()}`);
    const r = spawnSync(process.execPath, ['-r', stub, BIN, '--version'], { env: { PATH: process.env.PATH, ...env, STUB_OUT: out }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return fs.existsSync(out) ? (fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string | null)) : [];
  }

  it('is never the shared default: the user\'s private runtime directory, else none', () => {
    const runtime = fs.mkdtempSync(path.join(dir, 'xdg-'));
    const withRuntime = asked({ XDG_RUNTIME_DIR: runtime });
    expect(withRuntime).toHaveLength(1);
    expect(withRuntime[0]!.startsWith(runtime + path.sep)).toBe(true);
    expect(asked({})).toEqual([]);
    // One the user chose (Node itself takes it, before any code runs) is left to Node.
    expect(asked({ NODE_COMPILE_CACHE: path.join(runtime, 'mine') })).toEqual([]);
  });
});
