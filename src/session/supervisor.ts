// `ptyplex run` as a process supervisor: starts each console once its
// depends_on conditions hold (started, ready, completed,
// completed_successfully), runs its ready check on every run, and restarts
// it by its policy with doubling backoff until max_restarts; a console whose
// dependency can no longer be met is not started, and says why. What it
// starts are the session's consoles: a restart is the same console.
import type { ConsoleSpec } from '../config/console-spec.js';
import { backoffDelay, DEFAULT_BACKOFF, STABLE_RUN_MS, type Condition } from '../config/supervision.js';
import type { ExitStatus } from '../console/spawn.js';
import { describeEnd, statusCode } from './exit-status.js';
import { whenReady } from './readiness.js';
import type { Session } from './session.js';
import type { SessionConsole } from './session-console.js';
import type { Sink } from './sinks/sink.js';

export type SupervisedState = 'waiting' | 'starting' | 'ready' | 'running' | 'backoff' | 'exited' | 'failed' | 'hung up';

/** What `ls` shows of a supervised console. */
export interface Supervision {
  state: SupervisedState;
  /** Which dependency it waits for, when the next try is, why it failed. */
  reason: string | null;
  restarts: number;
}

export interface SupervisorOptions {
  /** The sinks (terminal, log, recording) a console is started with. */
  sinksFor(spec: ConsoleSpec): Sink[];
  size(): { cols: number; rows: number };
}

interface Entry {
  spec: ConsoleSpec;
  console?: SessionConsole;
  /** autostart, or asked for by `ptyplex start`. */
  wanted: boolean;
  /** The current run passed its ready check (or has none). */
  ready: boolean;
  everReady: boolean;
  /** Why it failed: gave up restarting, not ready in time, a dependency that cannot be met. */
  failed?: string;
  /** What the system said when it could not be started at all. */
  startError?: Error;
  /** `failed` is this run's readiness check timing out (a new run clears it). */
  notReady?: boolean;
  /** The session is stopping: what has not started never will. */
  cancelled: boolean;
  /** Automatic restarts in a row (a stable run starts the count over). */
  streak: number;
  nextTryAt?: number;
}

/** Not started yet, and still to be: wanted, not failed, not cancelled by a stop. */
const pending = (e: Entry): boolean => e.console === undefined && e.wanted && e.failed === undefined && !e.cancelled;

/** What the supervisor knows of one console, handed to the server's next program (an upgrade). */
export interface SupervisedEntry {
  spec: ConsoleSpec;
  started: boolean;
  wanted: boolean;
  ready: boolean;
  everReady: boolean;
  failed?: string;
  notReady?: boolean;
  cancelled: boolean;
  streak: number;
}

type Verdict = { met: true } | { met: false; waitingFor: string } | { met: false; never: string };

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private release: (() => void) | undefined;
  /** The console being started now: its first run is looked at once launch has it. */
  private launching: string | undefined;
  /** update() is walking the entries; `again`: something changed meanwhile. */
  private updating = false;
  private again = false;

  constructor(
    private readonly session: Session,
    specs: readonly ConsoleSpec[],
    private readonly options: SupervisorOptions,
  ) {
    for (const spec of specs) this.entries.set(spec.name, { spec, wanted: spec.autostart !== false, ready: false, everReady: false, cancelled: false, streak: 0 });
    session.on('run', (c) => this.onRun(c));
    session.on('end', () => this.update());
  }

  /** Starts what may start now; the rest waits for its conditions (and holds the session open). */
  startAll(): void {
    this.update();
  }

  /** Ctrl-C, kill-server: nothing not yet started starts, nothing restarts, backoff waits end. */
  stopAll(): void {
    for (const e of this.entries.values()) if (e.console === undefined) e.cancelled = true;
    for (const c of this.session.consoles.values()) c.life.requestStop();
    this.update();
  }

  /** Whether any console waits out a backoff or a readiness check: not a clean point for an upgrade. */
  get unsettled(): string | undefined {
    for (const e of this.entries.values()) {
      if (e.console?.life.sleeping) return `console "${e.spec.name}" is waiting to restart`;
    }
    return undefined;
  }

  /** Everything it knows, as plain data (an upgrade). */
  snapshot(): SupervisedEntry[] {
    return [...this.entries.values()].map((e) => ({
      spec: e.spec, started: e.console !== undefined, wanted: e.wanted, ready: e.ready, everReady: e.everReady,
      ...(e.failed !== undefined && { failed: e.failed }), ...(e.notReady !== undefined && { notReady: e.notReady }),
      cancelled: e.cancelled, streak: e.streak,
    }));
  }

  /**
   * Takes back what the previous program knew, with the session's resumed
   * consoles; a started one whose check had not passed is checked anew.
   */
  restore(saved: readonly SupervisedEntry[]): void {
    for (const s of saved) {
      const e = this.entries.get(s.spec.name);
      if (e === undefined) continue;
      Object.assign(e, { wanted: s.wanted, ready: s.ready, everReady: s.everReady, failed: s.failed, notReady: s.notReady, cancelled: s.cancelled, streak: s.streak });
      const c = s.started ? this.session.consoles.get(s.spec.name) : undefined;
      if (c === undefined) continue;
      e.console = c;
      c.life.policy = (exit) => this.runAgain(e, c, exit);
      if (!s.ready && !c.finished) this.onRun(c);
    }
  }

  /** The first console of the plan the system could not start, and why. */
  startFailure(): { name: string; error: Error } | undefined {
    const e = [...this.entries.values()].find((x) => x.startError !== undefined);
    return e === undefined ? undefined : { name: e.spec.name, error: e.startError! };
  }

  /** True if a console of the plan failed (never started, gave up, never ready). */
  get anyFailed(): boolean {
    return [...this.entries.values()].some((e) => e.failed !== undefined);
  }

  /**
   * `ptyplex start NAME`: one not started yet starts now (its conditions
   * are the user's call), one that has ended runs again, one in a backoff
   * wait restarts now. Throws with why not.
   */
  start(name: string): void {
    const e = this.entries.get(name);
    const c = this.session.consoles.get(name);
    if (e !== undefined) {
      e.failed = undefined;
      e.streak = 0;
      e.cancelled = false;
      if (e.console === undefined) {
        e.wanted = true;
        this.launch(e);
        return;
      }
    }
    if (c === undefined) throw new Error(`no console "${name}"`);
    if (c.life.sleeping) c.life.wake();
    else this.session.startAgain(name);
  }

  /** `ptyplex restart`: what it knows of the named consoles is reset for their next run. */
  forgetFailures(names: readonly string[]): void {
    for (const name of names) {
      const e = this.entries.get(name);
      if (e === undefined) continue;
      e.failed = undefined;
      e.streak = 0;
    }
  }

  /** Consoles of the plan with no run yet (waiting, autostart: false, never started). */
  notStarted(): ConsoleSpec[] {
    return [...this.entries.values()].filter((e) => e.console === undefined).map((e) => e.spec);
  }

  /** What ls shows; undefined for a console it does not supervise (`new`, adopted). */
  describe(name: string): Supervision | undefined {
    const e = this.entries.get(name);
    if (e === undefined) return undefined;
    const restarts = e.console?.life.restarts ?? 0;
    return { ...this.stateOf(e), restarts };
  }

  private stateOf(e: Entry): { state: SupervisedState; reason: string | null } {
    const c = e.console;
    if (c === undefined) {
      if (e.failed !== undefined) return { state: 'failed', reason: e.failed };
      if (e.cancelled) return { state: 'exited', reason: 'never started: the session stopped first' };
      if (!e.wanted) return { state: 'waiting', reason: `autostart: false; ptyplex start ${e.spec.name}` };
      const v = this.verdict(e);
      return { state: 'waiting', reason: 'waitingFor' in v ? `for ${v.waitingFor}` : null };
    }
    if (c.life.sleeping) {
      const s = Math.max(0, Math.ceil(((e.nextTryAt ?? Date.now()) - Date.now()) / 1000));
      return { state: 'backoff', reason: `next try in ${s}s` };
    }
    if (e.failed !== undefined) return { state: 'failed', reason: e.notReady && c.exit === undefined ? `${e.failed}; still running` : e.failed };
    if (c.exit !== undefined) return { state: 'exited', reason: null };
    if (c.state === 'hung up') return { state: 'hung up', reason: null };
    if (e.spec.ready === undefined) return { state: 'running', reason: null };
    return { state: e.ready ? 'ready' : 'starting', reason: null };
  }

  // Starts every console whose conditions hold, fails those whose never
  // will, until nothing changes; holds the session while any still waits.
  private update(): void {
    // A launch reports its run (onRun), which asks for an update: inside
    // this walk that is one more pass, not a walk of its own per console
    // (which made starting N consoles N walks deep, O(N^2)).
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = true;
    try {
      this.walk();
    } finally {
      this.updating = false;
    }
    const waiting = [...this.entries.values()].some(pending);
    if (waiting && this.release === undefined) this.release = this.session.hold();
    if (!waiting && this.release !== undefined) {
      this.release();
      this.release = undefined;
    }
  }

  private walk(): void {
    for (let changed = true; changed || this.again; ) {
      changed = false;
      this.again = false;
      for (const e of this.entries.values()) {
        if (!pending(e)) continue;
        const v = this.verdict(e);
        if ('never' in v) e.failed = v.never;
        else if (v.met) this.launch(e);
        else continue;
        changed = true;
      }
    }
  }

  private verdict(e: Entry): Verdict {
    for (const [dep, condition] of Object.entries(e.spec.startWhen ?? {})) {
      const v = this.condition(dep, condition);
      if ('never' in v) return { met: false, never: `dependency ${dep} ${v.never}` };
      if (!v.met) return v;
    }
    return { met: true };
  }

  private condition(dep: string, condition: Condition): Verdict {
    const d = this.entries.get(dep);
    const c = d?.console ?? this.session.consoles.get(dep);
    const waiting: Verdict = { met: false, waitingFor: `${dep}: ${condition}` };
    const neverStarted = d !== undefined && c === undefined && (d.failed !== undefined || d.cancelled);
    if (neverStarted) return { met: false, never: `never started${d.failed !== undefined ? ` (${d.failed})` : ''}` };
    if (c === undefined) return waiting;
    const done = c.finished && !c.life.sleeping;
    const exit = c.exit;
    if (condition === 'started') return { met: true };
    if (condition === 'ready') {
      if (d === undefined || d.everReady) return { met: true };
      if (d.failed !== undefined) return { met: false, never: `failed: ${d.failed}` };
      if (done && exit !== undefined) return { met: false, never: `ended before it was ready: ${describeEnd(dep, exit)}` };
      return waiting;
    }
    if (!done || exit === undefined) return waiting;
    if (condition === 'completed' || statusCode(exit) === 0) return { met: true };
    return { met: false, never: `did not complete successfully: ${describeEnd(dep, exit)}` };
  }

  private launch(e: Entry): void {
    const { spec } = e;
    this.launching = spec.name;
    try {
      e.console = this.session.start(spec, this.options.sinksFor(spec), this.options.size());
    } catch (err) {
      e.startError = err instanceof Error ? err : new Error(String(err));
      e.failed = `cannot start: ${e.startError.message}`;
      return;
    } finally {
      this.launching = undefined;
    }
    const c = e.console;
    c.life.policy = (exit) => this.runAgain(e, c, exit);
    this.onRun(c);
  }

  // Each run is checked anew; its dependents are looked at again once it is ready.
  private onRun(c: SessionConsole): void {
    const e = this.entries.get(c.name);
    if (e === undefined || e.console !== c || this.launching === c.name) return;
    e.ready = false;
    // A new run gets a new chance: only its own check can fail it.
    if (e.notReady) e.failed = undefined;
    e.notReady = false;
    const check = e.spec.ready;
    if (check === undefined) {
      e.ready = e.everReady = true;
      this.update();
      return;
    }
    const run = c.ended;
    void whenReady(c, check).then((outcome) => {
      if (c.ended !== run) return; // a later run has its own check
      if (outcome === 'ready') {
        e.ready = e.everReady = true;
      } else if (outcome === 'timed out') {
        // Its dependents will not start; the process itself is left running
        // (as an unhealthy container is), and ls says so.
        e.failed = `not ready within ${(check.timeout ?? 0) / 1000}s`;
        e.notReady = true;
      }
      this.update();
    });
  }

  // The restart policy: no, on-failure (a non-zero exit or a signal),
  // always; a doubling wait first, which a stop ends at once.
  private async runAgain(e: Entry, c: SessionConsole, exit: ExitStatus): Promise<boolean> {
    const policy = e.spec.restart ?? 'no';
    if (policy === 'no' || (policy === 'on-failure' && statusCode(exit) === 0)) return false;
    if (Date.now() - c.startedAt >= STABLE_RUN_MS) e.streak = 0;
    if (e.spec.maxRestarts !== undefined && e.streak >= e.spec.maxRestarts) {
      // A clean last exit (restart: always) is an end, not a failure.
      if (statusCode(exit) !== 0) e.failed = `gave up after ${e.streak} restart${e.streak === 1 ? '' : 's'} (${describeEnd(c.name, exit)})`;
      return false;
    }
    e.streak++;
    const delay = backoffDelay(e.spec.backoff ?? DEFAULT_BACKOFF, e.streak);
    e.nextTryAt = Date.now() + delay;
    try {
      return await c.life.sleep(delay);
    } finally {
      e.nextTryAt = undefined;
    }
  }
}
