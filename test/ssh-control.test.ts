// Issue 16, the commands that change a session, over ssh (-H ssh://...)
// against a real OpenSSH server on 127.0.0.1: stop by a script read here,
// start of an ended console, restart, and adopt of a runc container whose
// console socket is on the far side. Each is checked by what the session
// itself then says (states, pids, exit codes, logs), not by the command's
// own word. Since that session is on this machine too, the remote
// ptyplex is a wrapper that writes down each command ssh ran it with: each
// of these commands must have gone through it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { makeBundle, removeContainers, runContainer } from './helpers/runc.js';
import { testSessions, until, type CliResult, type SessionJson, type TestSessions } from './helpers/session.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

let sshd: Sshd;
let s: TestSessions;
let sock: string;
let logs: string;
let remoteRuns: string;
let remoteCommand: string;

function run(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...s.env, ...sshd.env, PTYPLEX_REMOTE_COMMAND: remoteCommand }, encoding: 'utf8', timeout: 30_000, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command over ssh: it succeeds, and the far side's ptyplex ran for it (as `what`). */
function overSsh(args: string[], what: RegExp): CliResult {
  const before = fs.existsSync(remoteRuns) ? fs.readFileSync(remoteRuns, 'utf8').length : 0;
  const r = run(args);
  expect(r.status, r.stderr).toBe(0);
  expect(fs.readFileSync(remoteRuns, 'utf8').slice(before)).toMatch(what);
  return r;
}

/** The session as it says here (not over ssh). */
function session(): SessionJson {
  const r = run(['ls', '--json', '-S', sock]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as SessionJson[])[0]!;
}

function consoleOf(name: string): SessionJson['consoles'][number] | undefined {
  return session().consoles.find((c) => c.name === name);
}

const TRAPPER = `echo trapper-up; trap 'echo got-usr1; exit 5' USR1; while :; do sleep 0.05; done`;

beforeAll(async () => {
  sshd = await startSshd();
  s = testSessions();
  sock = path.join(s.runtime, 'remote-ctl');
  logs = path.join(s.runtime, 'logs');
  remoteRuns = path.join(s.runtime, 'remote-runs');
  remoteCommand = path.join(s.runtime, 'remote-ptyplex');
  fs.writeFileSync(remoteCommand, `#!/bin/sh\necho "$*" >> '${remoteRuns}'\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const started = run(['run', '-d', '-S', sock, '--log-dir', logs, '--names', 'trapper,once,again', TRAPPER, 'echo once-ran; exit 3', 'echo again-$$; exec sleep 1000']);
  expect(started.status, started.stderr).toBe(0);
}, 30_000);

afterAll(() => {
  s?.cli(['kill-server', '-S', sock], { timeout: 10_000 });
  s?.cleanup();
  sshd?.stop();
  removeContainers();
});

describe('16 changing a session over ssh', () => {
  it('stop -H runs a script read on this side, and reports how the console ended', async () => {
    await until(() => fs.existsSync(path.join(logs, 'trapper.log')) && fs.readFileSync(path.join(logs, 'trapper.log'), 'utf8').includes('trapper-up'), 'the trapper');
    const script = path.join(s.runtime, 'stop.yaml');
    fs.writeFileSync(script, 'consoles:\n  trapper:\n    stop:\n      - signal: SIGUSR1\n      - expect: got-usr1\n        timeout: 5s\n      - wait: 5s\n');
    const r = overSsh(['stop', '-H', sshd.url, '-S', sock, '--script', script, '--json', 'trapper'], /^dial-stdio -S /m);
    const report = JSON.parse(r.stdout) as { consoles: { name: string; exitCode: number | null }[] };
    expect(report.consoles.map((c) => ({ name: c.name, exitCode: c.exitCode }))).toEqual([{ name: 'trapper', exitCode: 5 }]);
    // The signal of the script reached it: it said so, and ended with its code.
    expect(fs.readFileSync(path.join(logs, 'trapper.log'), 'utf8')).toContain('got-usr1');
    expect(consoleOf('trapper')).toMatchObject({ state: 'exited', exitCode: 5 });
    // A console the session lacks is refused in one line, before anything stops.
    const bad = run(['stop', '-H', sshd.url, '-S', sock, 'nosuch']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/no console "nosuch"/);
    expect(consoleOf('again')!.state).toBe('running');
  });

  it('start -H runs an ended console again; restart -H gives a running one a new process', async () => {
    await until(() => consoleOf('once')?.state === 'exited', 'once to end');
    overSsh(['start', '-H', sshd.url, '-S', sock, 'once'], /^dial-stdio -S /m);
    await until(() => (fs.readFileSync(path.join(logs, 'once.log'), 'utf8').match(/once-ran/g) ?? []).length === 2, 'a second run of once');
    await until(() => consoleOf('once')?.state === 'exited', 'the second run to end');
    expect(consoleOf('once')!.exitCode).toBe(3);

    const before = consoleOf('again')!.pid;
    overSsh(['restart', '-H', sshd.url, '-S', sock, 'again'], /^dial-stdio -S /m);
    const after = await until(() => {
      const c = consoleOf('again');
      return c?.state === 'running' && c.pid !== before ? c : undefined;
    }, 'again to run anew');
    // Both runs in the one log, each saying its own pid.
    const text = await until(() => {
      const t = fs.readFileSync(path.join(logs, 'again.log'), 'utf8');
      return t.includes(`again-${after.pid}`) ? t : undefined;
    }, 'the new run in the log');
    expect(text).toContain(`again-${before}`);
  });

  it('adopt -H listens on the far side: a runc container sent there becomes a console of that session', async () => {
    const consoleSocket = path.join(s.runtime, 'far.sock');
    overSsh(['adopt', '-H', sshd.url, '-S', sock, '--console-socket', consoleSocket, '--name', 'box', '--once'], /^adopt -H +-S /m);
    expect(fs.statSync(consoleSocket).isSocket()).toBe(true);
    runContainer(makeBundle(['/bin/sh', '-c', 'echo from-the-box; exec /bin/sh']), consoleSocket);
    await until(() => consoleOf('box')?.state === 'running', 'the container to be adopted');
    overSsh(['send', '-H', sshd.url, '-S', sock, '--keys', 'box', 'echo box-$((6*7))', 'Enter'], /^dial-stdio -S /m);
    expect(overSsh(['expect', '-H', sshd.url, '-S', sock, 'box', 'box-\\d+'], /^dial-stdio -S /m).stdout).toBe('box-42\n');
  });
});
