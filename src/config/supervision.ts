// What a console declares about its supervision in ptyplex.yaml: when it
// may start (the conditions its depends_on consoles must reach), how it
// shows it is ready, and whether it is started again when it ends. Plain
// data and the checks on it; the session's supervisor runs it.
import { durationMs, durationProblem } from './duration.js';

export type RestartPolicy = 'no' | 'on-failure' | 'always';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'on-failure', 'always'];

/** What a dependency must have reached: started, passed its ready check, ended, ended with 0. */
export type Condition = 'started' | 'ready' | 'completed' | 'completed_successfully';
export const CONDITIONS: readonly Condition[] = ['started', 'ready', 'completed', 'completed_successfully'];

/** How a console shows it is ready; timeout (ms) undefined: wait as long as it takes. */
export type ReadyCheck =
  | { expect: string; timeout?: number }
  | { exec: string; interval: number; timeout?: number }
  | { tcp: { host: string; port: number }; interval: number; timeout?: number };

/** Doubling delays between restarts, from initial up to max (ms). */
export interface Backoff {
  initial: number;
  max: number;
}

export const DEFAULT_BACKOFF: Backoff = { initial: 1000, max: 30_000 };
/** A run this long is stable: the next failure starts the backoff (and the count) over. */
export const STABLE_RUN_MS = 10_000;
/** How often an exec or tcp check is tried unless `interval` says. */
export const DEFAULT_INTERVAL_MS = 1000;

/** The delay before automatic restart number n (1-based) after failures in a row. */
export function backoffDelay(backoff: Backoff, n: number): number {
  return Math.min(backoff.initial * 2 ** (n - 1), backoff.max);
}

/** A key's value is wrong: the key, the reason; the YAML reader adds the line. */
export class SupervisionError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function readPolicy(v: unknown): RestartPolicy {
  const s = typeof v === 'boolean' ? (v ? 'always' : 'no') : String(v);
  if ((RESTART_POLICIES as readonly string[]).includes(s)) return s as RestartPolicy;
  throw new SupervisionError(`restart must be one of ${RESTART_POLICIES.join(', ')}, not ${JSON.stringify(v)}`);
}

export function readCondition(dep: string, v: unknown): Condition {
  if (typeof v === 'string' && (CONDITIONS as readonly string[]).includes(v)) return v as Condition;
  throw new SupervisionError(`depends_on ${dep}: unknown condition ${JSON.stringify(v)} (expected ${CONDITIONS.join(', ')})`);
}

export function readDuration(what: string, v: unknown): number {
  if (typeof v === 'string' && /^\s*-/.test(v)) throw new SupervisionError(`${what} must not be negative: ${JSON.stringify(v)}`);
  if (typeof v === 'number' && v < 0) throw new SupervisionError(`${what} must not be negative: ${v}`);
  const ms = typeof v === 'string' || typeof v === 'number' ? durationMs(v) : undefined;
  if (ms === undefined) throw new SupervisionError(`${what}: ${durationProblem(v)}`);
  return ms;
}

export function readBackoff(v: unknown): Backoff {
  if (typeof v === 'string' || typeof v === 'number') {
    const initial = atLeastMinimum(readDuration('backoff', v));
    return { initial, max: Math.max(initial, DEFAULT_BACKOFF.max) };
  }
  const o = objectOf('backoff', v, ['initial', 'max']);
  const initial = o.initial === undefined ? DEFAULT_BACKOFF.initial : readDuration('backoff initial', o.initial);
  const max = o.max === undefined ? Math.max(initial, DEFAULT_BACKOFF.max) : readDuration('backoff max', o.max);
  if (max < initial) throw new SupervisionError(`backoff max (${max} ms) is less than initial (${initial} ms)`);
  return { initial: atLeastMinimum(initial), max };
}

/** The shortest first restart delay: 0 would restart a failing command in a hot loop (systemd's RestartSec floor is 100 ms). */
export const MIN_BACKOFF_MS = 100;

function atLeastMinimum(initial: number): number {
  if (initial < MIN_BACKOFF_MS) throw new SupervisionError(`backoff initial must be at least ${MIN_BACKOFF_MS}ms (got ${initial} ms): a shorter one restarts a failing command in a hot loop`);
  return initial;
}

export function readMaxRestarts(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw new SupervisionError(`max_restarts must be a whole number, 0 or more, not ${JSON.stringify(v)}`);
}

export function readReady(v: unknown): ReadyCheck {
  const o = objectOf('ready', v, ['expect', 'exec', 'tcp', 'timeout', 'interval']);
  const kinds = ['expect', 'exec', 'tcp'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) throw new SupervisionError('ready needs exactly one of expect, exec, tcp');
  const timeout = o.timeout === undefined ? {} : { timeout: readDuration('ready timeout', o.timeout) };
  const interval = o.interval === undefined ? DEFAULT_INTERVAL_MS : readDuration('ready interval', o.interval);
  if (interval === 0) throw new SupervisionError('ready interval must be more than 0');
  if (o.expect !== undefined) {
    if (o.interval !== undefined) throw new SupervisionError('ready: interval is for exec and tcp (expect watches the output)');
    return { expect: nonEmpty('ready expect', o.expect), ...timeout };
  }
  if (o.exec !== undefined) return { exec: nonEmpty('ready exec', o.exec), interval, ...timeout };
  return { tcp: hostPort(nonEmpty('ready tcp', o.tcp)), interval, ...timeout };
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (m === null || port < 1 || port > 65535) throw new SupervisionError(`ready tcp must be HOST:PORT or PORT, not ${JSON.stringify(text)}`);
  return { host: m[1] || '127.0.0.1', port };
}

function nonEmpty(what: string, v: unknown): string {
  if ((typeof v === 'string' || typeof v === 'number') && String(v).trim() !== '') return String(v);
  throw new SupervisionError(`${what} must be a non-empty string`);
}

function objectOf(what: string, v: unknown, keys: string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SupervisionError(`${what} must be a map (${keys.join(', ')})`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new SupervisionError(`${what}: unknown key "${k}" (expected ${keys.join(', ')})`);
  return v as Record<string, unknown>;
}
