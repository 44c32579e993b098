// `ptyplex upgrade`, in the server: replace this process's program with the
// ptyplex now installed, keeping every console's child (execve keeps the
// pid, so they stay our children), every PTY master, the listening sockets
// and their locks, and every log and recording (their fds, kept open).
// The steps, each undone if a later one fails before the point of no return:
//   1. refuse new requests and stop reading keys from attached clients;
//      wait until the keys already taken have reached their consoles;
//   2. wait for a clean point (no child exited but not yet drained), then
//      stop reading the consoles: what they write now waits in the kernel's
//      PTY buffer for the next program; what was read goes through every
//      sink, and every log and recording is written out;
//   3. tell each following client "server upgrading" and the offset it has
//      reached, and hang up: it reconnects and resumes from there;
//   4. run the new program as a child in check mode with the state's
//      header: it must accept the format before the old program is gone;
//   5. write the state to a memfd and execve, keeping exactly those fds.
// Anything failing before 5 succeeds resumes reading and leaves this
// program serving as it was; the client gets one line saying why.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { native } from '../native.js';
import { EAGAIN, SysError } from '../sys-error.js';
import { atCleanPoint, consoleState } from '../session/console-state.js';
import type { Session } from '../session/session.js';
import type { SessionConsole } from '../session/session-console.js';
import { CastSink } from '../session/sinks/cast-sink.js';
import { FileSink } from '../session/sinks/file-sink.js';
import { PlainLogSink } from '../session/sinks/plain-log-sink.js';
import type { Supervisor } from '../session/supervisor.js';
import type { Adoption } from './adoption.js';
import type { ControlServer } from './control-server.js';
import { ATTEMPTS, CHECK_MS, FLUSH_MS, SETTLE_MS } from './upgrade-deadline.js';
import { clearUpgrading, markUpgrading } from './upgrade-mark.js';
import { encodeHeader, writeState, type HeldFile, type UpgradeState } from './upgrade-state.js';

export interface UpgradeOptions {
  session: Session;
  server: ControlServer;
  adoption: Adoption;
  supervisor: Supervisor;
  /** This program's generation (0 at start, +1 per upgrade). */
  generation: number;
  /** The command to run the installed ptyplex with: Node's flags and the entry script. */
  program: readonly string[];
  /** What the command layer needs to go on, handed over as is. */
  run: unknown;
  log(line: string): void;
}

/** Upgrades; resolves only if it could not, with why (the old program still serving). */
export async function upgradeServer(o: UpgradeOptions): Promise<string> {
  const refusal = refusalOf(o);
  if (refusal !== undefined) return refusal;
  o.server.setUpgrading(true);
  const consoles = [...o.session.consoles.values()];
  try {
    if (!(await until(() => consoles.every((c) => c.inputBacklog === 0), SETTLE_MS))) {
      const slow = consoles.find((c) => c.inputBacklog > 0)!;
      return `console "${slow.name}" is not taking its input; try again later`;
    }
    let told = false;
    for (let attempt = 1; ; attempt++) {
      const why = await attemptOnce(o, consoles, told);
      told = true;
      if (why === undefined || attempt === ATTEMPTS) return why ?? 'upgrade failed';
      if (!why.startsWith('retry:')) return why;
    }
  } finally {
    for (const c of consoles) c.reader?.resumeReads();
    o.server.setUpgrading(false);
  }
}

// One try: resolves with why it failed ("retry: ..." when another try may
// work), or never resolves at all (execve succeeded).
async function attemptOnce(o: UpgradeOptions, consoles: SessionConsole[], told: boolean): Promise<string | undefined> {
  if (!(await until(() => consoles.every(atCleanPoint), SETTLE_MS))) {
    return `console "${consoles.find((c) => !atCleanPoint(c))!.name}" is ending; try again in a moment`;
  }
  for (const c of consoles) if (!c.finished) c.reader?.stopReads();
  if (!(await until(() => consoles.every((c) => c.finished || (c.reader?.readableLength ?? 0) === 0), FLUSH_MS))) {
    return 'a console\'s output could not be written out in time (a full disk, a stalled terminal); not upgraded';
  }
  // A file's held-back partial line goes to the next program, not out now.
  await Promise.all(consoles.flatMap((c) => c.sinks.map((s) => (s instanceof FileSink ? s.written() : s.flush?.()))));
  if (!told) await o.server.releaseFollowers();
  const checked = await checkNewProgram(o.program);
  if (checked !== undefined) return checked;
  // From here on nothing yields to the loop: what is checked stays true
  // until execve. No other thread reaps on Linux (children are collected
  // on SIGCHLD, in this loop), so a child that exits in that instant stays
  // a zombie, still ours, and the new program collects it at once;
  // execKeep's last look (EAGAIN) only spares it that.
  if (!consoles.every(atCleanPoint)) {
    for (const c of consoles) c.reader?.resumeReads();
    return 'retry: a console ended during the upgrade';
  }
  const state = stateOf(o, consoles);
  const fd = writeState(state);
  // Node marks its stdio close-on-exec: the server's log (or terminal) is kept explicitly.
  const keep = [0, 1, 2, fd, state.control.fd, state.control.socket.lockFd, ...state.adoptions.flatMap((a) => [a.listener.fd, a.listener.socket.lockFd])];
  keep.push(...state.consoles.flatMap((c) => (c.fd === null ? [] : [c.fd])), ...state.files.map((f) => f.fd));
  const running = consoles.filter((c) => !c.finished && c.child.pid !== null).map((c) => c.child.pid!);
  const env = Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const argv = [process.execPath, ...o.program, '__resume', '--state-fd', String(fd)];
  markUpgrading(o.server.path);
  const r = native.execKeep(process.execPath, argv, env, Int32Array.from(keep), Int32Array.from(running));
  clearUpgrading(o.server.path);
  fs.closeSync(fd);
  for (const c of consoles) c.reader?.resumeReads();
  if (r === EAGAIN) return 'retry: a child exited as the program was being replaced';
  return `cannot run ${process.execPath}: ${new SysError(r, 'execve').code}`;
}

function refusalOf(o: UpgradeOptions): string | undefined {
  if (process.platform !== 'linux') return `upgrading in place needs Linux (execve keeping the PTY masters); not on ${process.platform}`;
  if (o.server.held === undefined) return 'the control socket is not listening';
  if (o.server.working) return 'a stop or restart is in progress; upgrade when it is done';
  const unsettled = o.supervisor.unsettled;
  if (unsettled !== undefined) return `${unsettled}; upgrade when it has`;
  const stopping = [...o.session.consoles.values()].find((c) => !c.finished && c.life.stopping);
  if (stopping !== undefined) return `console "${stopping.name}" is being stopped; upgrade when it has ended`;
  return undefined;
}

// The installed program is asked, as a child, whether it reads this state
// format: a program that does not start, or refuses, costs nothing. Not
// spawnSync: the server goes on answering (clients are told to wait) while
// a slow new program starts on a busy machine.
async function checkNewProgram(program: readonly string[]): Promise<string | undefined> {
  const child = spawn(process.execPath, [...program, '__resume', '--check'], { stdio: ['pipe', 'ignore', 'pipe'], timeout: CHECK_MS });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  child.stdin.on('error', () => undefined); // one that exits without reading: its status says why
  child.stdin.end(encodeHeader());
  const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ status: null, signal: null, error }));
    child.once('close', (status, signal) => resolve({ status, signal }));
  });
  if (r.status === 0) return undefined;
  if (r.error !== undefined) return `the installed ptyplex did not start (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); not upgraded`;
  if (r.signal === 'SIGTERM') return `the installed ptyplex did not answer within ${CHECK_MS / 1000}s; not upgraded`;
  // Its one-line refusal, or the error a program that cannot start threw (Node ends with its version).
  const lines = stderr.trim().split('\n');
  const said = (lines.find((l) => /^(ptyplex: |\w*Error\b)/.test(l)) ?? lines.pop())?.replace(/^ptyplex: /, '');
  return `the installed ptyplex refused the upgrade: ${said || `exit status ${r.status ?? r.signal}`}; not upgraded`;
}

function stateOf(o: UpgradeOptions, consoles: SessionConsole[]): UpgradeState {
  const control = o.server.held!;
  return {
    generation: o.generation + 1,
    startedAt: o.session.startedAt,
    control,
    adoptions: o.adoption.held,
    subreaper: o.adoption.subreaper,
    consoles: consoles.map(consoleState),
    ends: o.session.ends,
    supervisor: o.supervisor.snapshot(),
    files: consoles.flatMap((c) => c.sinks.flatMap(heldFile)),
    run: o.run,
  };
}

function heldFile(sink: unknown): HeldFile[] {
  if (!(sink instanceof FileSink)) return [];
  return [{ path: sink.path, fd: sink.fd, ...(sink instanceof CastSink && { elapsed: sink.elapsed }), ...(sink instanceof PlainLogSink && { held: sink.heldBack() }) }];
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
