// The stop-step grammar: one validator for every form a step arrives in.
// Files (YAML) hold the human form: durations as "5s", signals as "TERM",
// `close` as a bare word, keys as "C-c Enter". Clients send the wire form
// (JSON): durations in ms, signals as "SIGTERM", keys as a list. Both are
// checked here, by the same rules and with the same messages, so a new step
// kind is added in one place.
import { durationMs, durationProblem, MAX_DURATION_MS } from './duration.js';
import { compilePattern } from './pattern.js';

export type Step =
  | { send: string }
  | { keys: string[] }
  | { expect: string; timeout: number }
  | { signal: NodeJS.Signals }
  | { wait: number }
  | { close: true };

export const DEFAULT_EXPECT_TIMEOUT = 10_000;

const KINDS = 'send, keys, expect, signal, wait, close';

/** Which form a step is read in: the file's (human) or the wire's (JSON). */
export type StepForm = 'file' | 'wire';

/**
 * A step that breaks the grammar: why, and where in the step (the key
 * `at`, its name or its value) so a file's parser can point at the line.
 */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly reason: string,
    readonly at?: { key: string; part: 'key' | 'value' },
  ) {
    super(reason);
  }
}

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

/** Reads one step (a plain value: parsed JSON, or a YAML node's JS value); throws StepError. */
export function readStep(raw: unknown, form: StepForm): Step {
  if (form === 'file' && raw === 'close') return { close: true };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new StepError(`a step is send, keys, expect (with timeout), signal, wait or close`);
  const s = raw as Record<string, unknown>;
  const kinds = Object.keys(s).filter((k) => k !== 'timeout');
  if (kinds.length !== 1) throw new StepError(`a step has one of ${KINDS} (got ${kinds.join(', ') || 'none'})`);
  const kind = kinds[0]!;
  const v = s[kind];
  const value = (reason: string): StepError => new StepError(reason, { key: kind, part: 'value' });
  if (s.timeout !== undefined && kind !== 'expect') throw new StepError(`timeout belongs to expect, not ${kind}`, { key: 'timeout', part: 'key' });
  const text = (): string => {
    if (typeof v === 'string' || (form === 'file' && (typeof v === 'number' || typeof v === 'boolean'))) return String(v);
    throw value(form === 'file' ? `${kind} needs a value` : `${kind} takes a string`);
  };
  switch (kind) {
    case 'send':
      return { send: text() };
    case 'keys': {
      // A file may write `keys: C-c Enter`, and YAML reads `keys: [1]` as a number.
      const list: unknown[] | undefined = Array.isArray(v) ? v : form === 'file' && typeof v === 'string' ? v.split(/\s+/) : undefined;
      const words = list?.map((w) => (form === 'file' && typeof w === 'number' ? String(w) : w));
      if (words === undefined || !words.every((w): w is string => typeof w === 'string' && w !== '')) throw value('keys takes key names (C-c, Enter, Up ...)');
      return { keys: words };
    }
    case 'expect': {
      const pattern = text();
      try {
        compilePattern(pattern);
      } catch (err) {
        throw value(`bad regular expression: ${(err as Error).message}`);
      }
      if (s.timeout === undefined && form === 'file') return { expect: pattern, timeout: DEFAULT_EXPECT_TIMEOUT };
      return { expect: pattern, timeout: duration(s.timeout, 'timeout', form, { key: 'timeout', part: 'value' }) };
    }
    case 'signal': {
      const name = text();
      const signal = form === 'file' ? signalOf(name) : SIGNALS.has(name) ? (name as NodeJS.Signals) : undefined;
      if (signal === undefined) throw value(`unknown signal ${JSON.stringify(name)}`);
      return { signal };
    }
    case 'wait':
      return { wait: duration(v, 'wait', form, { key: kind, part: 'value' }) };
    case 'close':
      if (form === 'wire' && v !== true) throw value('close takes no value');
      return { close: true };
    default:
      throw new StepError(`unknown step "${kind}" (expected ${KINDS})`, { key: kind, part: 'key' });
  }
}

// A file's durations are text ("5s"; a bare number is seconds); the wire's are ms.
function duration(v: unknown, what: string, form: StepForm, at: StepError['at']): number {
  if (form === 'wire') {
    if (typeof v === 'number' && v >= 0 && v <= MAX_DURATION_MS) return v;
    throw new StepError(`${what}: a duration in ms from 0 to ${MAX_DURATION_MS}`, at);
  }
  const ms = typeof v === 'string' || typeof v === 'number' ? durationMs(v) : undefined;
  if (ms === undefined) throw new StepError(`${what}: ${durationProblem(v)}`, at);
  return ms;
}
