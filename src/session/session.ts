// The engine: a named set of consoles, each a child in its own PTY (and its
// own session and process group), fanned out to its sinks and to the hub
// attached clients read from. It starts them (also while running), follows
// the window size, stops them (a signal to each process group, then SIGKILL
// after a grace) and reports each end in the order they happen.
import { EventEmitter } from 'node:events';
import { ConsolePoller } from '../console/console-poller.js';
import { ConsoleReadable } from '../console/console-stream.js';
import { adopt } from '../console/adopt.js';
import { spawn, type SpawnedConsole } from '../console/spawn.js';
import type { AdoptedConsole } from '../console/adopt.js';
import { consoleSize, type ConsoleSpec } from '../config/console-spec.js';
import { OutputHub } from './output-hub.js';
import { SessionConsole, type ConsoleEnd } from './session-console.js';
import type { Sink } from './sinks/sink.js';
import { inheritableEnv } from '../console/inheritable-env.js';
import { shutdown as runShutdown, type ShutdownOptions, type ShutdownReport } from './shutdown.js';
import type { ConsoleScript } from '../config/stop-script.js';
import { tee } from './tee.js';
import { signalName } from './exit-status.js';
import type { ExitStatus } from '../console/spawn.js';
import { resumeChild } from '../console/resumed-child.js';
import { PollConsole } from '../console/poll-console.js';
import type { ConsoleState } from './console-state.js';

export type { ConsoleEnd } from './session-console.js';

export interface SessionOptions {
  /** Bytes of recent output each console keeps for replay (default 256 KiB). */
  ringSize?: number;
  /** Extra environment for every child (e.g. the control socket's path). */
  env?: Record<string, string>;
  /** When the session began (an upgraded server keeps its first program's). */
  startedAt?: number;
}

export interface SessionEvents {
  start: [SessionConsole];
  /** A console's run began: its first, or a restart (same console, new child). */
  run: [SessionConsole];
  end: [ConsoleEnd];
  /** A console started or a hold was released: whenAllEnded looks again. */
  change: [];
}

export const DEFAULT_RING_SIZE = 256 * 1024;

export class Session extends EventEmitter<SessionEvents> {
  readonly consoles = new Map<string, SessionConsole>();
  readonly ends: ConsoleEnd[] = [];
  readonly startedAt: number;
  private readonly poller = new ConsolePoller();
  private killTimer: NodeJS.Timeout | undefined;
  private holds = 0;
  /** All consoles ended and the poller is closed: nothing runs again. */
  private closed = false;
  /** The size consoles follow (the terminal's): what a restart is given. */
  private size = { cols: 80, rows: 24 };

  constructor(private readonly options: SessionOptions = {}) {
    super();
    this.startedAt = options.startedAt ?? Date.now();
  }

  /**
   * Takes back a console its server's previous program ran (an upgrade):
   * the same child (pid) and master, its output so far, counters and state.
   */
  resume(state: ConsoleState, sinks: readonly Sink[], ends: readonly ConsoleEnd[]): SessionConsole {
    const { spec } = state;
    if (this.consoles.has(spec.name)) throw new Error(`a console named "${spec.name}" already exists`);
    const hub = new OutputHub(this.options.ringSize ?? DEFAULT_RING_SIZE);
    hub.ring.restore(Buffer.from(state.ring, 'base64'), state.ringEnd);
    hub.screen.alternate = state.alternate;
    let child: SpawnedConsole | AdoptedConsole;
    if (state.fd === null) child = endedChild(state);
    else if (state.pid === null) child = adopt(state.fd, { poller: this.poller, ...state.adopted });
    else child = resumeChild(state.fd, state.pid, state.pty, this.poller);
    const c = new SessionConsole(spec, child, sinks, hub);
    c.life.restarts = state.restarts;
    c.life.stopping = state.stopping;
    c.life.runStart = state.runStart;
    c.inputMark = state.inputMark;
    c.startedAt = state.startedAt;
    c.adoptOptions = state.adopted;
    this.consoles.set(spec.name, c);
    if (state.exit !== null || state.fd === null) {
      const end = ends.find((e) => e.name === spec.name) ?? { name: spec.name, exit: state.exit ?? { exitCode: null, signal: null } };
      c.ended = Promise.resolve(end);
      c.done = c.ended;
      c.markEnded(end.exit);
    } else {
      this.follow(c);
      c.done = this.runs(c);
    }
    this.emit('start', c);
    this.emit('change');
    return c;
  }

  /** Starts spec's command with `$SHELL -c` in a new PTY, teed to sinks. */
  start(spec: ConsoleSpec, sinks: readonly Sink[], size: { cols: number; rows: number }): SessionConsole {
    if (this.consoles.has(spec.name)) throw new Error(`a console named "${spec.name}" already exists`);
    this.size = size;
    return this.track(spec, this.spawnChild(spec, size), sinks);
  }

  private spawnChild(spec: ConsoleSpec, size: { cols: number; rows: number }): SpawnedConsole {
    const shell = process.env.SHELL || '/bin/sh';
    return spawn(shell, ['-c', spec.cmd], {
      poller: this.poller,
      ...consoleSize(spec, size),
      ...(spec.cwd !== undefined && { cwd: spec.cwd }),
      env: { ...inheritableEnv(), ...this.options.env, ...spec.env, PTYPLEX: '1', PTYPLEX_CONSOLE: spec.name },
    });
  }

  /**
   * Runs a console that has ended for good again (`ptyplex start`): the
   * same console, so its log, recording and clients go on.
   */
  startAgain(name: string): SessionConsole {
    const c = this.consoles.get(name);
    if (c === undefined) throw new Error(`no console "${name}"`);
    const problem = startProblem(c) ?? (c.finished ? undefined : `console "${name}" is waiting to restart`);
    if (problem !== undefined) throw new Error(problem);
    if (this.closed) throw new Error(`the session has ended`);
    c.life.stopping = false;
    this.nextRun(c, c.exit!);
    c.done = this.runs(c);
    this.emit('change');
    return c;
  }

  /**
   * `ptyplex restart`: each console's stop script, then a new run at once;
   * one that had ended is started again, one in a backoff wait now.
   */
  async restart(scripts: ReadonlyMap<string, ConsoleScript>): Promise<ShutdownReport> {
    const named = [...scripts.keys()].map((n) => this.consoles.get(n)!);
    const stops = new Map(named.map((c) => [c, c.life.stops]));
    for (const c of named) if (!c.finished && !c.life.sleeping) c.life.restartAsked = true;
    const report = await runShutdown(this.consoles, scripts, {});
    // A stop, kill-server or Ctrl-C that came while the console was being
    // stopped wins: it is not started again.
    for (const c of named) {
      if (this.closed || c.life.stops !== stops.get(c)) continue;
      if (c.life.sleeping) c.life.wake();
      else if (c.finished) this.startAgain(c.name);
    }
    return report;
  }

  /**
   * Takes over fd, a PTY master someone else made (a container runtime), as
   * console `spec.name`. It ends when closed: by stop or kill, or
   * closeOnHangup ms after its last slave closed.
   */
  adopt(spec: ConsoleSpec, fd: number, sinks: readonly Sink[], size: { cols: number; rows: number }, options: { closeOnHangup?: number; reapLeader?: boolean } = {}): SessionConsole {
    if (this.consoles.has(spec.name)) throw new Error(`a console named "${spec.name}" already exists`);
    const child = adopt(fd, { poller: this.poller, ...options });
    const adopted = { ...options };
    // A runtime that set no size leaves 0x0, which line editors cannot
    // work with: give it the session's until a client sets its own.
    const now = child.console.size();
    if (now.cols === 0 || now.rows === 0) child.resize(size.cols, size.rows);
    const c = this.track(spec, child, sinks);
    c.adoptOptions = adopted;
    return c;
  }

  /** A name not taken yet: base, else base-2, base-3 ... */
  freeName(base: string): string {
    let name = base;
    for (let n = 2; this.consoles.has(name); n++) name = `${base}-${n}`;
    return name;
  }

  /**
   * Keeps whenAllEnded waiting even with no live console (a console
   * socket still listening); returns the release.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.emit('change');
    };
  }

  private track(spec: ConsoleSpec, child: SpawnedConsole | AdoptedConsole, sinks: readonly Sink[]): SessionConsole {
    const hub = new OutputHub(this.options.ringSize ?? DEFAULT_RING_SIZE);
    const c = new SessionConsole(spec, child, sinks, hub);
    this.follow(c);
    c.done = this.runs(c);
    this.consoles.set(spec.name, c);
    this.emit('start', c);
    this.emit('run', c);
    this.emit('change');
    return c;
  }

  // One run: the child's output teed to the console's sinks, which stay
  // open (flushed at its end) for a run that may follow. A read error other
  // than EAGAIN/EIO (EBADF: someone closed our fd) ends the output early;
  // the end is still reported, and `ended` never rejects.
  private follow(c: SessionConsole): void {
    const child = c.child;
    c.reader = new ConsoleReadable(child.console);
    const flushed = tee(c.reader, [...c.sinks, c.hub], true).catch(() => undefined);
    c.flushed = flushed;
    c.ended = Promise.all([child.exited, flushed]).then(([exit]) => {
      c.exit = exit;
      return { name: c.name, exit };
    });
  }

  // Run after run while its lifecycle says another follows (a restart
  // policy, `ptyplex restart`); then it has ended for good.
  private async runs(c: SessionConsole): Promise<ConsoleEnd> {
    for (;;) {
      const end = await c.ended;
      let again = c.child.pid !== null && (await c.life.runAgain(end.exit));
      // Whoever waits on this run's end (a stop script) sees it before the next run replaces it.
      if (again) again = await new Promise<boolean>((resolve) => setImmediate(() => resolve(!c.life.stopping)));
      if (again) {
        try {
          this.nextRun(c, end.exit);
          continue;
        } catch {
          // Cannot spawn it again (its cwd went away): it stays ended.
        }
      }
      c.markEnded(end.exit);
      this.ends.push(end);
      this.emit('end', end);
      return end;
    }
  }

  // The same console, a new child: its log gets one marker line, its
  // clients stay subscribed to the same hub and see the new process.
  private nextRun(c: SessionConsole, last: ExitStatus): void {
    const child = this.spawnChild(c.spec, c.writerSize ?? this.size);
    c.life.restarts++;
    const why = last.signal !== null ? `killed by ${signalName(last.signal)}` : `exit code ${last.exitCode ?? 'none'}`;
    const marker = Buffer.from(`--- restart ${c.life.restarts} (${why}) ---\r\n`);
    for (const sink of [...c.sinks, c.hub]) sink.write(marker);
    c.newRun(child);
    this.follow(c);
    this.emit('run', c);
  }

  /** Consoles whose child has not exited yet. */
  live(): SessionConsole[] {
    return [...this.consoles.values()].filter((c) => c.exit === undefined);
  }

  /**
   * The terminal the session runs on changed size: consoles that follow it
   * (no fixed size, no attached writer, who would set it instead) resize.
   */
  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    for (const c of this.live()) if (!c.hasWriters) c.applySize({ cols, rows });
  }

  /**
   * Sends `signal` to every live console's process group, then SIGKILL to
   * those still alive after killTimeout ms.
   */
  stop(signal: NodeJS.Signals, killTimeout: number): void {
    for (const c of this.consoles.values()) c.life.requestStop();
    for (const c of this.live()) end(c, signal);
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => this.kill(), killTimeout);
    this.killTimer.unref();
  }

  /**
   * Runs stop scripts (see shutdown.ts): each console's steps, in order,
   * with SIGKILL and close as the last resort; resolves with the report.
   * options.onClose is the cleanup hook, called as each console is done.
   */
  shutdown(scripts: ReadonlyMap<string, ConsoleScript>, options: ShutdownOptions = {}): Promise<ShutdownReport> {
    // A stop never restarts what it stops, and ends a backoff wait at once.
    for (const name of scripts.keys()) this.consoles.get(name)?.life.requestStop();
    return runShutdown(this.consoles, scripts, options);
  }

  /** SIGKILL to every console's process group (adopted ones: closed), now. */
  kill(): void {
    clearTimeout(this.killTimer);
    for (const c of this.consoles.values()) c.life.requestStop();
    for (const c of this.consoles.values()) end(c, 'SIGKILL');
  }

  /**
   * Resolves with every end, in order, once all consoles have ended,
   * including consoles started while it waited.
   */
  async whenAllEnded(): Promise<ConsoleEnd[]> {
    for (;;) {
      const waited = [...this.consoles.values()].map((c) => c.done);
      await Promise.all(waited);
      // A console added, or started again, while we waited: wait for it too.
      const now = [...this.consoles.values()].map((c) => c.done);
      if (now.length !== waited.length || now.some((p, i) => p !== waited[i])) continue;
      if (this.holds === 0) break;
      await new Promise((resolve) => this.once('change', () => resolve(undefined)));
    }
    clearTimeout(this.killTimer);
    // Nothing a console started outlives the session: background
    // grandchildren left in a console's process group go with it.
    this.kill();
    this.closed = true;
    this.poller.close();
    // Sinks stayed open for restarts; nothing can run again now.
    await Promise.all([...this.consoles.values()].flatMap((c) => c.sinks.map((s) => s.end().catch(() => undefined))));
    return this.ends;
  }
}

/**
 * Why `ptyplex start` cannot run c again, if it cannot: adopted (its runtime
 * starts it), or running (a restart is what runs it again). One in a
 * backoff wait can: the start ends the wait.
 */
export function startProblem(c: SessionConsole): string | undefined {
  if (c.child.pid === null) return `console "${c.name}" was adopted: its runtime starts it, not ptyplex`;
  if (!c.finished && !c.life.sleeping) return `console "${c.name}" is already running (ptyplex restart ${c.name} runs it again)`;
  return undefined;
}

// A spawned console's process group gets the signal; an adopted console
// has no process of ours: it is closed.
function end(c: SessionConsole, signal: NodeJS.Signals): void {
  if (c.child.pid === null) c.close();
  else c.signalGroup(signal);
}


// A console that had ended for good before the upgrade: no fd, no child to
// wait for; it only keeps its output and how it ended.
function endedChild(state: ConsoleState): SpawnedConsole | AdoptedConsole {
  const console = new PollConsole(-1, () => undefined);
  console.shutdown();
  const exited = Promise.resolve(state.exit ?? { exitCode: null, signal: null });
  const common = { console, pty: state.pty, exited, resize: () => undefined };
  if (state.pid === null) return { ...common, pid: null, kill: () => undefined };
  return { ...common, pid: state.pid, exitSeen: true, kill: () => false, signalGroup: () => false };
}
