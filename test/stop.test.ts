// Scripted shutdown, as an operator would do it by hand but by script:
// type exit, wait for "stopped", signal what is left, in dependency order,
// and a report that says exactly how each console ended. Real consoles,
// real signals; the report is checked against what the consoles logged.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ptyplexInPty } from './helpers/cli.js';
import { openFdCount } from './helpers/pty.js';
import { makeBundle, removeContainers, runContainer, containerStatus } from './helpers/runc.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
afterEach(() => s?.cleanup());
afterAll(() => removeContainers());

interface Report {
  consoles: Array<{ name: string; ended: string; exitCode: number | null; signal: number | null; endedBy: string; steps: Array<{ step: string; outcome: string; ms: number }>; ms: number }>;
  ms: number;
  timedOut: boolean;
}

/** True while a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// Each console writes "<name> stopping at <ns>" to its log when it starts
// to go (stubborn when it gets the SIGTERM it then ignores; its grandchild
// was started before, ignoring TERM), so the order can be read back from the logs.
const YAML = `consoles:
  shell:
    cmd: |
      trap '' INT
      while read line; do
        [ "$line" = exit ] && { echo "shell stopping at $(date +%s%N)"; exit 0; }
        echo "shell got $line"
      done
    stop:
      - send: "exit\\n"
      - wait: 3s
  stubborn:
    cmd: |
      trap '' TERM INT
      sleep 300 &
      echo "grandchild $!"
      trap 'echo "stubborn stopping at $(date +%s%N)"' TERM
      while :; do sleep 0.1; done
    stop:
      - signal: SIGTERM
      - wait: 1s
    stop_after: [shell]
  service:
    cmd: |
      trap 'echo "service stopping at $(date +%s%N)"; sleep 1; echo stopped; exit 0' TERM
      echo ready
      while :; do sleep 0.1; done
    stop:
      - signal: TERM
      - expect: "^stopped"
        timeout: 5s
      - wait: 2s
    depends_on: [stubborn]
`;

function project(): { dir: string; logs: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-stop-'));
  fs.writeFileSync(path.join(dir, 'ptyplex.yaml'), YAML);
  return { dir, logs: path.join(dir, 'logs') };
}

const logOf = (logs: string, name: string) => fs.readFileSync(path.join(logs, `${name}.log`), 'utf8');
const stoppingAt = (logs: string, name: string) => Number(/stopping at (\d+)/.exec(logOf(logs, name))?.[1]);

describe('ptyplex stop', () => {
  it('runs each script in order: exit typed, SIGTERM ignored then SIGKILL, "stopped" expected; the report says so', async () => {
    s = testSessions();
    const { dir, logs } = project();
    expect(s.cli(['run', '-d', '-f', path.join(dir, 'ptyplex.yaml'), '--log-dir', logs]).status).toBe(0);
    await until(() => fs.existsSync(path.join(logs, 'service.log')) && logOf(logs, 'service').includes('ready') && logOf(logs, 'stubborn').includes('grandchild'), 'the consoles to be up');
    const info = s.describe();
    const grandchild = Number(/grandchild (\d+)/.exec(logOf(logs, 'stubborn'))![1]);
    expect(alive(grandchild)).toBe(true);

    const r = s.cli(['stop', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const row = (name: string) => report.consoles.find((c) => c.name === name)!;
    expect(row('shell')).toMatchObject({ ended: 'exited', exitCode: 0, endedBy: 'wait 3s' });
    expect(row('shell').steps.map((x) => [x.step, x.outcome])).toEqual([['send "exit\\n"', 'done'], ['wait 3s', 'ended']]);
    expect(row('stubborn')).toMatchObject({ ended: 'killed', signal: 9, endedBy: 'last resort: SIGKILL' });
    expect(row('stubborn').steps.map((x) => [x.step, x.outcome])).toEqual([['signal SIGTERM', 'done'], ['wait 1s', 'timed out']]);
    expect(row('stubborn').steps[1]!.ms).toBeGreaterThanOrEqual(1000);
    expect(row('service')).toMatchObject({ ended: 'exited', exitCode: 0, endedBy: 'wait 2s' });
    expect(row('service').steps.map((x) => [x.step, x.outcome])).toEqual([['signal SIGTERM', 'done'], ['expect /^stopped/ (5s)', 'matched'], ['wait 2s', 'ended']]);
    expect(row('service').steps[1]!.ms).toBeGreaterThanOrEqual(900);
    expect(report.timedOut).toBe(false);

    // Order: service (depends on stubborn) before stubborn; shell before
    // stubborn (stop_after). The logs' own clocks say so, and the report agrees.
    expect(stoppingAt(logs, 'service')).toBeLessThan(stoppingAt(logs, 'stubborn'));
    expect(stoppingAt(logs, 'shell')).toBeLessThan(stoppingAt(logs, 'stubborn'));
    expect(row('stubborn').ms).toBeGreaterThan(row('service').ms);
    expect(row('stubborn').ms).toBeGreaterThan(row('shell').ms);
    expect(row('stubborn').ms - row('stubborn').steps.reduce((n, x) => n + x.ms, 0)).toBeGreaterThanOrEqual(row('service').ms - 50);
    // Nothing is left: no console, no grandchild, no zombie, no server.
    for (const c of info.consoles) expect(alive(c.pid), c.name).toBe(false);
    expect(alive(grandchild)).toBe(false);
    await until(() => !alive(info.pid), 'the server to exit');
  });

  it('the dependent stops first, by the timestamps the consoles logged', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-order-'));
    const logs = path.join(dir, 'logs');
    const stamp = (name: string) => `trap 'echo "${name} stopping at $(date +%s%N)"; exit 0' TERM; echo up; while :; do sleep 0.05; done`;
    const console = (name: string, deps: string) => `  ${name}:\n    cmd: |\n      ${stamp(name)}\n    stop: [ { signal: TERM }, { wait: 2s } ]\n${deps}`;
    fs.writeFileSync(
      path.join(dir, 'ptyplex.yaml'),
      `consoles:\n${console('db', '')}${console('api', '    depends_on: [db]\n')}${console('web', '    depends_on: [api]\n')}`,
    );
    expect(s.cli(['run', '-d', '-f', path.join(dir, 'ptyplex.yaml'), '--log-dir', logs])).toMatchObject({ status: 0, stderr: '' });
    await until(() => ['db', 'api', 'web'].every((n) => fs.existsSync(path.join(logs, `${n}.log`)) && logOf(logs, n).includes('up')), 'all up');
    const r = s.cli(['stop']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^CONSOLE +ENDED +BY +AFTER +STEPS\n/);
    expect(r.stdout).toMatch(/\nweb +exited 0 +wait 2s /);
    expect(stoppingAt(logs, 'web')).toBeLessThan(stoppingAt(logs, 'api'));
    expect(stoppingAt(logs, 'api')).toBeLessThan(stoppingAt(logs, 'db'));
  });

  it('--script and --timeout on a running session; the rest keeps running', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'slow,other', "trap '' TERM INT HUP; while :; do sleep 0.1; done", 'sleep 60']).status).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-script-'));
    const script = path.join(dir, 'stop.yaml');
    fs.writeFileSync(script, 'consoles:\n  slow:\n    stop:\n      - wait: 30s\n');
    const started = Date.now();
    const r = s.cli(['stop', 'slow', '--script', script, '--timeout', '1s', '--json']);
    expect(Date.now() - started).toBeLessThan(8000);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.timedOut).toBe(true);
    expect(report.consoles).toEqual([expect.objectContaining({ name: 'slow', ended: 'killed', signal: 9, endedBy: 'last resort: SIGKILL' })]);
    expect(report.consoles[0]!.steps[0]).toMatchObject({ step: 'wait 30s', outcome: 'timed out' });
    expect(s.describe().consoles.map((c) => [c.name, c.state])).toEqual([['slow', 'exited'], ['other', 'running']]);
  });

  it('a bad script is refused with its file, line and reason before anything is stopped', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'a,b', 'sleep 60', 'sleep 60']).status).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bad-'));
    const cases: Array<[string, string]> = [
      ['consoles:\n  a:\n    stop:\n      - launch: now\n', ':4: console "a": unknown step "launch" (expected send, keys, expect, signal, wait, close)'],
      ['consoles:\n  a:\n    stop:\n      - expect: "(unclosed"\n', ':4: console "a": bad regular expression: '],
      ['consoles:\n  a:\n    stop:\n      - wait: soon\n', ':4: console "a": wait: bad duration "soon" (e.g. 5s, 500ms)'],
      ['consoles:\n  a:\n    stop:\n      - signal: SIGNOPE\n', ':4: console "a": unknown signal "SIGNOPE"'],
      ['consoles:\n  a:\n    stop_after: [b]\n  b:\n    stop_after: [a]\n', ':3: stop order has a cycle: a -> b -> a'],
      ['consoles:\n  a:\n    stop: [close]\n  zzz:\n    stop: [close]\n', ':4: no console "zzz" in session "default"'],
    ];
    for (const [i, [text, reason]] of cases.entries()) {
      const file = path.join(dir, `bad${i}.yaml`);
      fs.writeFileSync(file, text);
      const r = s.cli(['stop', '--script', file]);
      expect(r.status, text).toBe(65);
      expect(r.stderr, text).toContain(`ptyplex: ${file}${reason}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(s.cli(['stop', 'nope'])).toMatchObject({ status: 1, stderr: 'ptyplex: no console "nope" in session "default" (it has: a, b)\n' });
    expect(s.cli(['stop', '--timeout', 'later']).status).toBe(64);
    // Nothing was stopped.
    expect(s.describe().consoles.map((c) => c.state)).toEqual(['running', 'running']);
  });

  it('an adopted runc console is stopped by send: exit; runc delete cleans up', async () => {
    s = testSessions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-stop-adopt-'));
    const sock = path.join(dir, 'console.sock');
    fs.writeFileSync(path.join(dir, 'ptyplex.yaml'), `consoles:\n  box:\n    adopt: ${sock}\n    stop:\n      - send: "exit\\n"\n      - wait: 5s\n`);
    expect(s.cli(['run', '-d', '-f', path.join(dir, 'ptyplex.yaml')]).status).toBe(0);
    const id = runContainer(makeBundle(['/bin/sh']), sock);
    await until(() => s.describe().consoles.length === 1, 'the container console');
    s.cli(['send', 'box', '--keys', 'echo container-up', 'Enter']);
    expect(s.cli(['expect', 'box', '^container-up']).status).toBe(0);
    const report = JSON.parse(s.cli(['stop', '--json']).stdout) as Report;
    expect(report.consoles[0]).toMatchObject({ name: 'box', ended: 'closed', endedBy: 'wait 5s' });
    expect(report.consoles[0]!.steps.map((x) => x.outcome)).toEqual(['done', 'ended']);
    await until(() => containerStatus(id) === 'stopped', 'the container to stop');
    expect(spawnSync('runc', ['delete', id]).status).toBe(0);
    expect(containerStatus(id)).toBe('gone');
  });

  it('Ctrl-C in run runs the same scripts', async () => {
    s = testSessions();
    const { dir, logs } = project();
    const run = ptyplexInPty(['run', '-f', 'ptyplex.yaml', '--log-dir', logs], { cwd: dir, env: s.env });
    await run.waitFor(/service +\| ready/);
    await run.waitFor(/stubborn \| grandchild \d+/);
    await run.type('\x03');
    const { output } = await run.done;
    expect(output).toMatch(/shell +\| shell stopping at \d+/);
    expect(output).toMatch(/service +\| stopped/);
    expect(output).toMatch(/stubborn +\| stubborn killed by SIGKILL \(last resort: SIGKILL\)|stubborn killed by SIGKILL/);
    expect(logOf(logs, 'service')).toContain('stopped');
  });
});

describe('session.shutdown (library)', () => {
  it('returns the same report and calls the cleanup hook once per console, after its log is flushed', async () => {
    const { Session } = await import('../src/session/session.js');
    const { FileSink } = await import('../src/session/sinks/file-sink.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-lib-'));
    const fds = openFdCount();
    const session = new Session();
    const file = path.join(dir, 'job.log');
    session.start({ name: 'job', cmd: "trap 'echo bye; exit 4' TERM; echo hi; while :; do sleep 0.05; done" }, [new FileSink(file)], { cols: 80, rows: 24 });
    await until(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('hi'), 'hi');
    const closed: string[] = [];
    const report = await session.shutdown(new Map([['job', { steps: [{ signal: 'SIGTERM' }, { wait: 3000 }], after: [] }]]), {
      onClose: (c) => {
        closed.push(`${c.name}:${fs.readFileSync(file, 'utf8').includes('bye')}`);
      },
    });
    expect(closed).toEqual(['job:true']);
    expect(report.consoles[0]).toMatchObject({ name: 'job', ended: 'exited', exitCode: 4, endedBy: 'wait 3s' });
    await session.whenAllEnded();
    // The console's master, its log and the poller are all closed again
    // (the log's close completes on the next turns of the loop).
    await until(() => openFdCount() === fds, `the fd count to return to ${fds} (it is ${openFdCount()})`, 2000);
  });
});
