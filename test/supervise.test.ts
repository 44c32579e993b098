// `ptyplex run` as a process supervisor, with real processes: restart
// policies and their doubling backoff, start order gated on readiness
// (expect, exec, tcp), dependencies that can no longer be met, `restart`
// with a client attached in a real terminal (a tmux pane), `start` of an
// ended console, and Ctrl-C during a backoff wait. Timings are checked as
// ordering and ratios, never as tight bounds.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, ptyplexInPty } from './helpers/cli.js';
import { testSessions, until, type ConsoleJson, type TestSessions } from './helpers/session.js';
import { TmuxServer, type Pane } from './helpers/tmux.js';

const tmux = new TmuxServer(`ptyplex-supervise-${process.pid}`);
let s: TestSessions | undefined;
let panes: Pane[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const p of panes) p.kill();
  panes = [];
  s?.cleanup();
  s = undefined;
});
afterAll(() => {
  tmux.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A scratch directory holding ptyplex.yaml (from yaml) and what the consoles write. */
function project(yaml: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-sup-'));
  dirs.push(dir);
  const file = path.join(dir, 'ptyplex.yaml');
  fs.writeFileSync(file, yaml.replaceAll('$DIR', dir));
  return { dir, file };
}

/** Milliseconds since the epoch, one per line, as the consoles appended them. */
function stamps(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => Number(l) / 1e6);
}

function sessions(): TestSessions {
  if (s === undefined) throw new Error('no session started');
  return s;
}

/** The console's ls --json entry; undefined while the session is not up yet. */
function consoleInfo(name: string): ConsoleJson | undefined {
  try {
    return sessions().describe().consoles.find((c) => c.name === name);
  } catch {
    return undefined;
  }
}

async function stateBecomes(name: string, state: string, timeoutMs = 15_000): Promise<ConsoleJson> {
  let last: ConsoleJson | undefined;
  try {
    return await until(() => {
      last = consoleInfo(name);
      return last?.state === state && last;
    }, `${name} to be ${state}`, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; ls shows ${JSON.stringify(last)}`);
  }
}

const STAMP = 'date +%s%N >> $DIR';

describe('ptyplex run as a supervisor', () => {
  it('13.1 on-failure with backoff 500ms and max_restarts 3: exactly 4 runs, gaps that double, then failed; run ends with its status', async () => {
    s = testSessions();
    const { dir, file } = project(`consoles:
  flaky:
    cmd: ${STAMP}/runs; exit 3
    restart: on-failure
    backoff: { initial: 500ms }
    max_restarts: 3
  keeper: sleep 8
`);
    const run = s.start(['run', '-f', file]);
    const failed = await stateBecomes('flaky', 'failed');
    expect(failed.restarts).toBe(3);
    expect(failed.reason).toMatch(/gave up after 3 restarts/);
    expect(failed.exitCode).toBe(3);
    const done = await run.done;
    expect(done.status).toBe(3);
    const t = stamps(path.join(dir, 'runs'));
    expect(t).toHaveLength(4);
    const gaps = [t[1]! - t[0]!, t[2]! - t[1]!, t[3]! - t[2]!];
    // 500, 1000, 2000 ms asked: each gap at least the delay, and each
    // clearly longer than the one before (the doubling), on a busy machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    expect(gaps[1]! / gaps[0]!).toBeGreaterThan(1.4);
    expect(gaps[2]! / gaps[1]!).toBeGreaterThan(1.4);
  }, 60_000);

  it('13.2 on-failure does not restart after exit 0; always does', () => {
    s = testSessions();
    const { dir, file } = project(`consoles:
  ok:
    cmd: ${STAMP}/ok; exit 0
    restart: on-failure
    backoff: 100ms
  again:
    cmd: ${STAMP}/again; exit 0
    restart: always
    backoff: 100ms
    max_restarts: 2
`);
    const r = s.cli(['run', '-f', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(stamps(path.join(dir, 'ok'))).toHaveLength(1);
    expect(stamps(path.join(dir, 'again'))).toHaveLength(3);
  }, 60_000);

  it('13.3 a db that is ready after 1.5 s gates web (depends_on: {db: ready}): by expect, by an exec probe, by a tcp connect', async () => {
    s = testSessions();
    const port = await freePort();
    const server = `require('net').createServer().listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 4000)`;
    const { dir, file } = project(`consoles:
  db:
    cmd: sleep 1.5; ${STAMP}/db; echo "db is ready"; sleep 3
    ready: { expect: "^db is ready", timeout: 20s }
  web:
    cmd: ${STAMP}/web; echo web up
    depends_on: { db: ready }
  db2:
    cmd: sleep 1.5; ${STAMP}/db2; touch $DIR/flag; sleep 3
    ready: { exec: "test -f $DIR/flag", interval: 100ms }
  web2:
    cmd: ${STAMP}/web2
    depends_on: { db2: ready }
  db3:
    cmd: sleep 1.5; ${STAMP}/db3; exec node -e "${server}"
    ready: { tcp: "127.0.0.1:${port}", interval: 100ms }
  web3:
    cmd: ${STAMP}/web3
    depends_on: { db3: ready }
`);
    const r = s.cli(['run', '-f', file, '--log-dir', path.join(dir, 'logs')]);
    expect(r.status, r.stderr).toBe(0);
    for (const n of ['', '2', '3']) {
      const [db] = stamps(path.join(dir, `db${n}`));
      const [web] = stamps(path.join(dir, `web${n}`));
      expect(web, `web${n} started`).toBeDefined();
      expect(web!, `web${n} after db${n} was ready`).toBeGreaterThanOrEqual(db!);
    }
    expect(fs.readFileSync(path.join(dir, 'logs', 'web.log'), 'utf8')).toContain('web up');
  }, 60_000);

  it('13.4 a dependency that exits before it is ready leaves its dependents failed with a reason', async () => {
    s = testSessions();
    const { dir, file } = project(`consoles:
  db:
    cmd: exit 4
    ready: { expect: "never says so" }
  web:
    cmd: touch $DIR/web-ran
    depends_on: { db: ready }
  keeper: sleep 30
`);
    expect(s.cli(['run', '-d', '-f', file]).status).toBe(0);
    const web = await stateBecomes('web', 'failed');
    expect(web.reason).toMatch(/dependency db ended before it was ready: db exited with code 4/);
    expect(web.pid).toBeNull();
    expect(s.cli(['ls']).stdout).toMatch(/web\s+-\s+failed \(dependency db ended before it was ready/);
    expect(fs.existsSync(path.join(dir, 'web-ran'))).toBe(false);
  }, 60_000);

  it('13.5 ptyplex restart keeps an attached client attached, the log holds both runs and the marker; ptyplex start runs an ended console again', async () => {
    s = testSessions();
    const { dir, file } = project(`consoles:
  svc: echo "run at $(date +%s%N)"; exec sleep 60
  once: echo once-ran
`);
    const logs = path.join(dir, 'logs');
    expect(s.cli(['run', '-d', '-f', file, '--log-dir', logs]).status).toBe(0);
    const pane = tmux.newPane({ cols: 100, rows: 30, env: { XDG_RUNTIME_DIR: s.runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    panes.push(pane);
    pane.line(`${process.execPath} ${BIN} attach svc`);
    await until(() => consoleInfo('svc')?.clients === 1, 'the client to attach');
    await pane.waitFor(/run at \d+/);
    const firstPid = consoleInfo('svc')!.pid;
    const r = s.cli(['restart', 'svc']);
    expect(r.status, r.stderr).toBe(0);
    await pane.waitFor(/--- restart 1 \(killed by SIGINT\) ---[\s\S]*run at \d+/);
    const after = consoleInfo('svc')!;
    expect(after).toMatchObject({ clients: 1, restarts: 1, state: 'running' });
    expect(after.pid).not.toBe(firstPid);
    // Still attached: what it types reaches the new process.
    expect(s.cli(['send', 'svc', 'typed-after-restart']).status).toBe(0);
    await pane.waitFor(/typed-after-restart/);
    const log = fs.readFileSync(path.join(logs, 'svc.log'), 'utf8');
    expect(log).toMatch(/run at \d+[\s\S]*--- restart 1 \(killed by SIGINT\) ---\r\nrun at \d+/);

    await stateBecomes('once', 'exited');
    expect(s.cli(['start', 'once']).status).toBe(0);
    await until(() => (fs.readFileSync(path.join(logs, 'once.log'), 'utf8').match(/once-ran/g) ?? []).length === 2 && consoleInfo('once')?.state === 'exited', 'once to run again');
    expect(consoleInfo('once')!.restarts).toBe(1);
    const again = s.cli(['start', 'svc']);
    expect(again).toMatchObject({ status: 1, stderr: 'ptyplex: console "svc" is already running (ptyplex restart svc runs it again)\n' });
  }, 60_000);

  it('13.6 Ctrl-C during a backoff wait ends the run at once, with no restart', async () => {
    s = testSessions();
    const { dir, file } = project(`consoles:
  flaky:
    cmd: ${STAMP}/runs; exit 1
    restart: on-failure
    backoff: { initial: 30s }
`);
    const run = ptyplexInPty(['run', '-f', file], { env: s.env });
    await until(() => stamps(path.join(dir, 'runs')).length === 1, 'the first run');
    await stateBecomes('flaky', 'backoff');
    const t0 = Date.now();
    await run.type('\x03');
    const done = await run.done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(done.exit.exitCode).toBe(1);
    expect(stamps(path.join(dir, 'runs'))).toHaveLength(1);
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
