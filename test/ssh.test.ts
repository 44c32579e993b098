// Issue 16: every client command over ssh (-H ssh://...), against a real
// OpenSSH server on 127.0.0.1 started here (helpers/sshd.ts). The session
// runs on this machine; the client reaches it through sshd and `ptyplex
// dial-stdio` as it would reach another host. sshd gives the remote side a
// fresh environment (no XDG_RUNTIME_DIR), so sessions are named by -S with
// an absolute path, which both sides resolve the same.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { NOBODY, ptyplexAsNobody } from './helpers/as-nobody.js';
import { needsRoot } from './helpers/needs-root.js';
import { testSessions, until, type CliResult, type SessionJson, type TestSessions } from './helpers/session.js';
import { startSshd, type Sshd } from './helpers/sshd.js';
import { TmuxServer } from './helpers/tmux.js';

let sshd: Sshd;
let s: TestSessions;
let sock: string;

function run(args: string[], env: Record<string, string> = {}, timeout = 30_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...s.env, ...sshd.env, ...env }, encoding: 'utf8', timeout, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, naming the host, no stack trace, status non-zero. */
function oneLine(r: CliResult, host: string, pattern: RegExp): void {
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(new RegExp(`^ptyplex: ${host.replace(/[.]/g, '\\.')}: `));
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  sshd = await startSshd();
  s = testSessions();
  sock = path.join(s.runtime, 'remote-s1');
  const started = run(['run', '-d', '-S', sock, '--names', 'sh,ticker', 'sh', 'echo ticker-started; sleep 1000']);
  expect(started.status, started.stderr).toBe(0);
}, 30_000);

afterAll(() => {
  s?.cli(['kill-server', '-S', sock], { timeout: 10_000 });
  s?.cleanup();
  sshd?.stop();
});

// What does not change from one ls to the next.
function stable(list: SessionJson[]): unknown {
  return list.map((x) => ({ name: x.name, socket: x.socket, consoles: x.consoles.map((c) => ({ name: c.name, pid: c.pid, state: c.state })) }));
}

describe('16 ptyplex over ssh', () => {
  const host = () => sshd.url.slice('ssh://'.length);

  it('16.1 ls, send/expect, tee --no-follow, new and kill-server over ssh answer as they do here', () => {
    const local = JSON.parse(run(['ls', '--json', '-S', sock]).stdout) as SessionJson[];
    const remote = run(['ls', '--json', '-S', sock, '-H', sshd.url]);
    expect(remote.status, remote.stderr).toBe(0);
    const listed = JSON.parse(remote.stdout) as (SessionJson & { host: string })[];
    expect(stable(listed)).toEqual(stable(local));
    expect(listed.map((x) => x.host)).toEqual([host()]);

    expect(run(['send', '-H', sshd.url, '-S', sock, 'sh', 'echo $((6*7))-over-ssh']).status).toBe(0);
    expect(run(['send', '-H', sshd.url, '-S', sock, '--keys', 'sh', 'Enter']).status).toBe(0);
    const matched = run(['expect', '-H', sshd.url, '-S', sock, 'sh', '^42-over-ssh']);
    expect(matched, matched.stderr).toMatchObject({ status: 0, stdout: '42-over-ssh\n' });
    // The same bytes either way (the session holds them; nothing new is written meanwhile).
    const here = run(['tee', '--no-follow', '-S', sock, 'sh']);
    const there = run(['tee', '--no-follow', '-S', sock, '-H', sshd.url, 'sh']);
    expect(there.status, there.stderr).toBe(0);
    expect(there.stdout).toContain('42-over-ssh');
    expect(there.stdout).toBe(here.stdout);

    const made = run(['new', '-H', sshd.url, '-S', sock, 'made', '--', 'sh', '-c', 'echo "made over ssh"; sleep 1000']);
    expect(made.status, made.stderr).toBe(0);
    expect(s.cli(['expect', '-S', sock, 'made', 'made over ssh']).status).toBe(0);
  }, 40_000);

  it('16.2 two -H (one sshd under two names) merge in ls and tee; a host that refuses authentication is one line and the others still answer', () => {
    const denied = `ssh://nosuchuser@127.0.0.1:${sshd.port}`;
    const r = run(['ls', '--json', '-S', sock, '-H', sshd.url, '-H', sshd.url2, '-H', denied]);
    expect(r.status).toBe(1);
    const listed = JSON.parse(r.stdout) as (SessionJson & { host: string })[];
    expect(listed.map((x) => x.host).sort()).toEqual([host(), sshd.url2.slice('ssh://'.length)].sort());
    oneLine(r, `nosuchuser@127.0.0.1:${sshd.port}`, /ssh authentication failed \(.*Permission denied/);
    // The same with PTYPLEX_HOST, comma- and space-separated.
    const viaEnv = run(['ls', '-S', sock], { PTYPLEX_HOST: `${sshd.url}, ${sshd.url2}` });
    expect(viaEnv.status, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/^HOST +SESSION +CONSOLE/);
    expect(viaEnv.stdout).toMatch(new RegExp(`^${host()} +remote-s1 +ticker `, 'm'));
    expect(viaEnv.stdout).toMatch(new RegExp(`^localhost:${sshd.port} +remote-s1 +ticker `, 'm'));

    const tee = run(['tee', '--no-follow', '-S', sock, '-H', sshd.url, '-H', sshd.url2, '-H', denied, 'ticker']);
    expect(tee.status).toBe(1);
    expect(tee.stdout).toMatch(new RegExp(`^${host()}:ticker +\\| ticker-started$`, 'm'));
    expect(tee.stdout).toMatch(new RegExp(`^localhost:${sshd.port}:ticker +\\| ticker-started$`, 'm'));
    oneLine(tee, `nosuchuser@127.0.0.1:${sshd.port}`, /authentication failed/);
    // send to HOST:CONSOLE; a bare name with several hosts is a mistake, said in one line.
    expect(run(['send', '-S', sock, '-H', sshd.url, '-H', sshd.url2, '--keys', `localhost:${sshd.port}:sh`, 'echo via-second-name', 'Enter']).status).toBe(0);
    expect(run(['expect', '-S', sock, '-H', sshd.url2, 'sh', '^via-second-name']).status).toBe(0);
    const bare = run(['send', '-S', sock, '-H', sshd.url, '-H', sshd.url2, 'sh', 'x']);
    expect(bare.status).toBe(64);
    expect(bare.stderr).toMatch(/^ptyplex: several hosts .*: name the console as HOST:sh\n$/);
  }, 40_000);

  it('16.3 errors are one line naming the host: no session, no ptyplex there, ssh missing, no answer in time', async () => {
    oneLine(run(['send', '-H', sshd.url, '-L', 'nosuch', 'sh', 'x']), host(), /no session at .*nosuch/);
    oneLine(run(['send', '-H', sshd.url, '-S', sock, 'nosuch', 'x']), host(), /no console "nosuch" in session "remote-s1"/);
    oneLine(run(['ls', '-H', sshd.url], { PTYPLEX_REMOTE_COMMAND: '/nonexistent/ptyplex' }), host(), /no ptyplex there .*\/nonexistent\/ptyplex/);
    oneLine(run(['ls', '-H', sshd.url], { PTYPLEX_SSH_COMMAND: '', PATH: '/nonexistent' }), host(), /cannot run ssh: not found/);
    // A port that takes the connection and never says a word: the deadline speaks.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, [BIN, 'send', '-H', `ssh://127.0.0.1:${port}`, 'sh', 'x'], { env: { ...s.env, ...sshd.env, PTYPLEX_SSH_TIMEOUT: '1s' } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise<number | null>((r) => child.once('close', r));
      oneLine({ status, stdout: '', stderr }, `127.0.0.1:${port}`, /no answer within 1s/);
    } finally {
      silent.close();
    }
  }, 40_000);

  it('16.4 remote arguments are quoted: a session name or path with quotes and $(...) runs nothing', () => {
    const mark = path.join(s.runtime, 'injected');
    for (const args of [
      ['-L', `x'; touch ${mark}; '`],
      ['-S', `/tmp/a b'$(touch ${mark})\`touch ${mark}\``],
    ]) {
      const r = run(['send', '-H', sshd.url, ...args, 'sh', 'x']);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^ptyplex: 127\.0\.0\.1:\d+: (bad session name|no session at)/);
    }
    expect(fs.existsSync(mark)).toBe(false);
  }, 30_000);

  it('16.5 dial-stdio checks whose server it reaches, as a local client does: a socket of uid nobody is refused', () => {
    needsRoot('it starts a session server as the user nobody');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-theirs-'));
    fs.chownSync(dir, NOBODY, NOBODY);
    const theirs = path.join(dir, 'theirs.sock');
    expect(ptyplexAsNobody(['run', '-d', '-S', theirs, '--names', 'v', 'cat']).status).toBe(0);
    try {
      const r = run(['send', '-H', sshd.url, '-S', theirs, 'v', 'typed-over-ssh']);
      oneLine(r, host(), new RegExp(`the server belongs to uid ${NOBODY}, not to you`));
      expect(ptyplexAsNobody(['tee', '-S', theirs, 'v', '--no-follow']).stdout).not.toContain('typed-over-ssh');
    } finally {
      ptyplexAsNobody(['kill-server', '-S', theirs]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('16.6 attach over ssh in tmux: replay, typing, resize, detach keys, terminal restored; ssh killed mid-attach is said and the terminal restored', async () => {
    const tmux = new TmuxServer(`ptyplex-ssh-${process.pid}`);
    try {
      const env: Record<string, string> = { ...sshd.env, PATH: process.env.PATH ?? '' };
      const pane = tmux.newPane({ cols: 100, rows: 30, env });
      const attach = `${process.execPath} ${BIN} attach -H ${sshd.url} -S ${sock} sh; echo "attach-status=$?"`;
      expect(s.cli(['send', '-S', sock, '--keys', 'sh', 'echo before-$((2*3))', 'Enter']).status).toBe(0);
      expect(s.cli(['expect', '-S', sock, 'sh', '^before-6']).status).toBe(0);
      pane.line(attach);
      // Replay: what the console printed before we came.
      await pane.waitFor(/^before-6$/m, 15_000);
      await until(() => !pane.lineMode().icanon, 'raw mode', 10_000);
      pane.line('echo typed-$((3*5))');
      await pane.waitFor(/^typed-15$/m);
      pane.resize(90, 28);
      pane.line('stty size');
      await pane.waitFor(/^28 90$/m);
      pane.keys('C-p', 'C-q');
      await pane.waitFor(/\[detached from sh\]\s*\n.*attach-status=0/);
      expect(pane.lineMode()).toEqual({ icanon: true, echo: true, isig: true });

      pane.clear();
      pane.line(attach);
      await until(() => !pane.lineMode().icanon, 'raw mode again', 15_000);
      await pane.waitFor(/typed-15/);
      // The ssh under the client (sh -c 'ssh ...' runs it): killed, not asked.
      const ssh = await until(() => sshUnder(pane.children('attach')[0]), 'the ssh of the attached client');
      process.kill(ssh, 'SIGKILL');
      const screen = await pane.waitFor(/attach-status=\d+/, 15_000);
      expect(screen, screen).toMatch(new RegExp(`\\[ptyplex: ${host().replace(/[.]/g, '\\.')}: lost the connection \\(ssh ended by SIGKILL\\)\\]`));
      expect(screen).toMatch(/attach-status=1$/m);
      expect(pane.lineMode()).toEqual({ icanon: true, echo: true, isig: true });
      expect(pane.state().cursorVisible).toBe(true);
    } finally {
      tmux.kill();
    }
  }, 60_000);

  it('16.7 kill-server over ssh ends the session here, and returns once it is gone', () => {
    const r = run(['kill-server', '-H', sshd.url, '-S', sock]);
    expect(r, r.stderr).toMatchObject({ status: 0, stderr: '' });
    expect(fs.existsSync(sock)).toBe(false);
    oneLine(run(['ls', '-H', sshd.url, '-S', sock]), host(), /no session at/);
  }, 30_000);
});

// The ssh process somewhere below pid (the client runs `sh -c 'ssh ... "$@"'`).
function sshUnder(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const r = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const procs = r.stdout.split('\n').filter(Boolean).map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
  });
  const below = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (below.has(p.ppid) && !below.has(p.pid)) (below.add(p.pid), (grew = true));
  }
  return procs.find((p) => below.has(p.pid) && p.args.startsWith('ssh '))?.pid;
}
