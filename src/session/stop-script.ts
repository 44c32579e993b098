// How a console is stopped, step by step, as an operator would by hand:
// type `exit`, wait for "stopped", signal what is left. A script is data
// (JSON on the control socket, YAML in files): parsed and checked here,
// run by shutdown.ts. After the last step, SIGKILL to the process group and
// closing the console are always the last resort.
import type { ConsoleSpec } from './console-spec.js';
import { MAX_DURATION_MS } from './duration.js';
import { compilePattern } from './matcher.js';

export type Step =
  | { send: string }
  | { keys: string[] }
  | { expect: string; timeout: number }
  | { signal: NodeJS.Signals }
  | { wait: number }
  | { close: true };

export interface ConsoleScript {
  steps: Step[];
  /** Consoles that must have stopped before this one starts stopping. */
  after: string[];
}

export const DEFAULT_EXPECT_TIMEOUT = 10_000;

/** One line for a report: "send \"exit\\n\"", "expect /stopped/ (10s)", "wait 5s". */
export function describeStep(step: Step): string {
  if ('send' in step) return `send ${JSON.stringify(step.send)}`;
  if ('keys' in step) return `keys ${step.keys.join(' ')}`;
  if ('expect' in step) return `expect /${step.expect}/ (${seconds(step.timeout)})`;
  if ('signal' in step) return `signal ${step.signal}`;
  if ('wait' in step) return `wait ${seconds(step.wait)}`;
  return 'close';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGWINCH', 'SIGALRM', 'SIGPWR']);

/** A signal name as users write it: SIGTERM, TERM, sigterm. */
export function signalOf(text: string): NodeJS.Signals | undefined {
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  return SIGNALS.has(name) ? (name as NodeJS.Signals) : undefined;
}

/**
 * Checks a step received as JSON (from a client): the same rules files are
 * held to, so the server runs only what it understands. Returns why not.
 */
export function stepProblem(step: unknown): string | undefined {
  if (step === null || typeof step !== 'object' || Array.isArray(step)) return 'a step must be an object';
  const s = step as Record<string, unknown>;
  const keys = Object.keys(s).filter((k) => k !== 'timeout');
  if (keys.length !== 1) return `a step has exactly one of send, keys, expect, signal, wait, close (got ${keys.join(', ') || 'none'})`;
  const [kind] = keys as [string];
  const v = s[kind];
  if (s.timeout !== undefined && kind !== 'expect') return `timeout belongs to expect, not ${kind}`;
  switch (kind) {
    case 'send':
      return typeof v === 'string' ? undefined : 'send takes a string';
    case 'keys':
      return Array.isArray(v) && v.every((k) => typeof k === 'string') ? undefined : 'keys takes a list of key names';
    case 'expect':
      if (typeof v !== 'string') return 'expect takes a regular expression';
      try {
        compilePattern(v);
      } catch (err) {
        return `bad regular expression: ${(err as Error).message}`;
      }
      return isDuration(s.timeout) ? undefined : 'expect needs a timeout in ms';
    case 'signal':
      return typeof v === 'string' && signalOf(v) === v ? undefined : `unknown signal ${JSON.stringify(v)}`;
    case 'wait':
      return isDuration(v) ? undefined : 'wait takes a duration in ms';
    case 'close':
      return v === true ? undefined : 'close takes no value';
    default:
      return `unknown step "${kind}" (expected send, keys, expect, signal, wait, close)`;
  }
}

/**
 * The order consoles stop in: a list of waves, each stoppable in parallel
 * once the waves before it are done. Throws with the cycle if there is one.
 */
export function stopOrder(scripts: ReadonlyMap<string, ConsoleScript>): string[][] {
  const remaining = new Map([...scripts].map(([name, s]) => [name, new Set(s.after.filter((a) => scripts.has(a)))]));
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([name]) => name);
    if (ready.length === 0) throw new Error(`stop order has a cycle: ${cycleIn(remaining).join(' -> ')}`);
    for (const name of ready) remaining.delete(name);
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
    waves.push(ready);
  }
  return waves;
}

function cycleIn(graph: Map<string, Set<string>>): string[] {
  let at = [...graph.keys()][0]!;
  const seen: string[] = [];
  while (!seen.includes(at)) {
    seen.push(at);
    at = [...graph.get(at)!][0]!;
  }
  return [...seen.slice(seen.indexOf(at)), at];
}

/**
 * Each console's script from its spec: its own steps or `fallback`, and
 * whom it waits for: its stop_after, and every console that depends on it
 * (a dependency stops after its dependents).
 */
export function scriptsOf(specs: readonly ConsoleSpec[], fallback: Step[]): Map<string, ConsoleScript> {
  const scripts = new Map<string, ConsoleScript>();
  for (const spec of specs) scripts.set(spec.name, { steps: spec.stop ?? fallback, after: [...(spec.stopAfter ?? [])] });
  for (const spec of specs) {
    for (const dep of spec.dependsOn ?? []) scripts.get(dep)?.after.push(spec.name);
  }
  return scripts;
}

/** What a client sends for one console's script (JSON): steps and order. */
export interface ScriptJson {
  stop?: Step[];
  stopAfter?: string[];
  dependsOn?: string[];
}

/** Checks a client's scripts; returns why not, or undefined if they are sound. */
export function scriptsProblem(scripts: Record<string, unknown>): string | undefined {
  for (const [name, raw] of Object.entries(scripts)) {
    if (raw === null || typeof raw !== 'object') return `the script for "${name}" must be an object`;
    const { stop, stopAfter, dependsOn } = raw as Record<string, unknown>;
    if (stop !== undefined) {
      if (!Array.isArray(stop)) return `the steps for "${name}" must be a list`;
      for (const step of stop) {
        const problem = stepProblem(step);
        if (problem !== undefined) return `"${name}": ${problem}`;
      }
    }
    for (const list of [stopAfter, dependsOn]) {
      if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) return `"${name}": stopAfter and dependsOn are lists of names`;
    }
  }
  return undefined;
}

function isDuration(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && v <= MAX_DURATION_MS;
}
