// Runs stop scripts: each console's steps in order, in dependency order
// across consoles (independent ones in parallel), under one global
// timeout. A step that times out moves on to the next; after the last,
// SIGKILL to the process group and closing the console are the last
// resort. The report says how each console ended, which step ended it and
// how long each step took.
import { keyBytes } from './keys.js';
import { compilePattern } from '../config/pattern.js';
import { Matcher } from './matcher.js';
import type { SessionConsole } from './session-console.js';
import { stopOrder, type ConsoleScript } from '../config/stop-script.js';
import { describeStep, type Step } from '../config/stop-step.js';

export interface StepReport {
  step: string;
  ms: number;
  outcome: 'done' | 'matched' | 'timed out' | 'ended' | 'skipped' | 'failed';
}

export interface ConsoleReport {
  name: string;
  /** exited / killed (by a signal) / closed (an adopted console); already ended before the stop; or still running (SIGKILL did not end it within 5 s). */
  ended: 'exited' | 'killed' | 'closed' | 'already ended' | 'still running';
  exitCode: number | null;
  signal: number | null;
  /** The step that ended it, "last resort: SIGKILL", or "" if it had already ended. */
  endedBy: string;
  steps: StepReport[];
  /** From the start of the shutdown until this console had ended and was flushed. */
  ms: number;
}

export interface ShutdownReport {
  consoles: ConsoleReport[];
  ms: number;
  /** The global timeout cut the scripts short. */
  timedOut: boolean;
}

export interface ShutdownOptions {
  /** Bound on the whole run (ms): past it, every console still up gets the last resort. */
  timeout?: number;
  /**
   * The cleanup hook: runs for each console once it has ended, its output
   * flushed to every log and recording and its clients told why.
   */
  onClose?(console: SessionConsole, report: ConsoleReport): void | Promise<void>;
}

/** How long the last resort may take before we stop waiting (SIGKILL cannot be ignored). */
const LAST_RESORT_MS = 5000;
/** How long a send or keys step may wait for the console to take its input. */
const SEND_MS = 5000;

export async function shutdown(consoles: ReadonlyMap<string, SessionConsole>, scripts: ReadonlyMap<string, ConsoleScript>, options: ShutdownOptions = {}): Promise<ShutdownReport> {
  stopOrder(scripts); // throws on a cycle before anything is touched
  const started = Date.now();
  const cutoff = new Cutoff(options.timeout);
  const running = new Map<string, Promise<ConsoleReport>>();
  const stop = (name: string): Promise<ConsoleReport> => {
    let p = running.get(name);
    if (p === undefined) {
      const script = scripts.get(name)!;
      const c = consoles.get(name);
      if (c === undefined) throw new Error(`no console "${name}"`);
      p = Promise.all(script.after.filter((a) => scripts.has(a)).map(stop)).then(async () => {
        const report = await runScript(c, script.steps, cutoff, started);
        await options.onClose?.(c, report);
        return report;
      });
      running.set(name, p);
    }
    return p;
  };
  const reports = await Promise.all([...scripts.keys()].map(stop));
  cutoff.clear();
  return { consoles: reports, ms: Date.now() - started, timedOut: cutoff.fired };
}

async function runScript(c: SessionConsole, steps: Step[], cutoff: Cutoff, started: number): Promise<ConsoleReport> {
  const report: ConsoleReport = { name: c.name, ended: 'already ended', exitCode: null, signal: null, endedBy: '', steps: [], ms: 0 };
  if (c.exit === undefined) {
    for (const step of steps) {
      if (c.exit !== undefined || cutoff.fired) break;
      const t0 = Date.now();
      const outcome = await runStep(c, step, cutoff);
      report.steps.push({ step: describeStep(step), ms: Date.now() - t0, outcome });
      if (c.exit !== undefined || outcome === 'ended') {
        report.endedBy = describeStep(step);
        break;
      }
    }
    if (report.endedBy === '' && c.exit === undefined) {
      const how = c.child.pid === null ? 'last resort: close' : 'last resort: SIGKILL';
      c.stopReason = how;
      c.signalGroup('SIGKILL');
      c.close();
      report.endedBy = how;
    }
  }
  // Bounded: a process SIGKILL cannot end (stuck in the kernel) is
  // reported as still running rather than hanging the stop.
  if (!(await race(c.ended, LAST_RESORT_MS, cutoff, false))) {
    report.ended = 'still running';
  } else if (report.endedBy !== '' || report.steps.length > 0) {
    const exit = c.exit!;
    report.ended = exit.signal !== null ? 'killed' : exit.exitCode === null ? 'closed' : 'exited';
  }
  report.exitCode = c.exit?.exitCode ?? null;
  report.signal = c.exit?.signal ?? null;
  report.ms = Date.now() - started;
  return report;
}

async function runStep(c: SessionConsole, step: Step, cutoff: Cutoff): Promise<StepReport['outcome']> {
  c.stopReason = `stopped by script: ${describeStep(step)}`;
  if ('send' in step || 'keys' in step) {
    const data = 'send' in step ? step.send : step.keys.map(keyBytes).join('');
    // A console that reads no input (raw mode, stuck) must not stall the
    // script: the write is given SEND_MS, then the next step runs.
    const written = c.input(Buffer.from(data)).then(
      () => 'done' as const,
      () => (c.exit !== undefined ? ('ended' as const) : ('failed' as const)),
    );
    return (await race(written, SEND_MS, cutoff, true)) ? written : 'timed out';
  }
  if ('expect' in step) return expectOutput(c, compilePattern(step.expect), step.timeout, cutoff);
  if ('signal' in step) return c.signalGroup(step.signal) ? 'done' : 'skipped';
  if ('wait' in step) {
    if (!(await race(c.whenGone(), step.wait, cutoff, true))) return 'timed out';
    // An adopted console whose container exited is hung up, not ended: close it.
    if (c.exit === undefined) c.close();
    await c.ended;
    return 'ended';
  }
  c.close();
  return (await race(c.ended, LAST_RESORT_MS, cutoff, true)) ? 'ended' : 'timed out';
}

// Output since the last input (as `ptyplex expect`), then as it comes.
async function expectOutput(c: SessionConsole, pattern: RegExp, timeout: number, cutoff: Cutoff): Promise<StepReport['outcome']> {
  const matcher = new Matcher(pattern);
  if (matcher.feed(c.hub.replay(c.inputMark)) !== undefined) return 'matched';
  let unsubscribe: () => void = () => undefined;
  const matched = new Promise<void>((resolve) => {
    unsubscribe = c.hub.subscribe({
      data: (chunk) => {
        if (matcher.feed(chunk) !== undefined) resolve();
      },
    });
  });
  const outcome = Promise.race([matched.then(() => 'matched' as const), c.ended.then(() => 'ended' as const)]);
  const settled = await race(outcome, timeout, cutoff, true);
  unsubscribe();
  return settled ? outcome : 'timed out';
}

/** True if p settled within ms (false on timeout, or when the global cutoff fires and cuttable). */
function race(p: Promise<unknown>, ms: number, cutoff: Cutoff, cuttable: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), ms);
    const offCut = cuttable ? cutoff.onFire(() => done(false)) : () => undefined;
    void p.then(() => done(true));
    function done(v: boolean): void {
      clearTimeout(timer);
      offCut();
      resolve(v);
    }
  });
}

// The global timeout: fires once, tells every waiting step.
class Cutoff {
  fired = false;
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(ms: number | undefined) {
    if (ms !== undefined) {
      this.timer = setTimeout(() => {
        this.fired = true;
        for (const fn of [...this.listeners]) fn();
      }, ms);
    }
  }

  onFire(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
