// How a console is stopped, step by step, as an operator would by hand:
// type `exit`, wait for "stopped", signal what is left. A script is data
// (JSON on the control socket, YAML in files), each step checked by the
// one grammar in stop-step.ts, run by the session's shutdown.ts. After the
// last step, SIGKILL to the process group and closing the console are
// always the last resort.
import type { ConsoleSpec } from './console-spec.js';
import { readStep, StepError, type Step } from './stop-step.js';

export interface ConsoleScript {
  steps: Step[];
  /** Consoles that must have stopped before this one starts stopping. */
  after: string[];
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
        try {
          readStep(step, 'wire');
        } catch (err) {
          if (err instanceof StepError) return `"${name}": ${err.reason}`;
          throw err;
        }
      }
    }
    for (const list of [stopAfter, dependsOn]) {
      if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) return `"${name}": stopAfter and dependsOn are lists of names`;
    }
  }
  return undefined;
}
