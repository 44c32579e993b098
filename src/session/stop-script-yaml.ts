// Stop scripts as written in YAML (a console's `stop:` list in ptyplex.yaml,
// or a --script file), checked with the line of every mistake: an unknown
// step, a bad regex or duration, a signal that does not exist.
//
//   stop:
//     - send: "exit\n"
//     - expect: "stopped"
//       timeout: 5s
//     - signal: SIGTERM
//     - wait: 5s
//     - close
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { durationMs } from './duration.js';
import { compilePattern } from './matcher.js';
import { DEFAULT_EXPECT_TIMEOUT, signalOf, type Step } from './stop-script.js';

export type Fail = (node: Node | null | undefined, reason: string) => never;

export function parseSteps(node: Node | null, where: string, fail: Fail): Step[] {
  if (!isSeq(node)) return fail(node, `${where}: stop must be a list of steps`);
  return node.items.map((item) => parseStep(item as Node | null, where, fail));
}

function parseStep(node: Node | null, where: string, fail: Fail): Step {
  if (isScalar(node) && node.value === 'close') return { close: true };
  if (!isMap(node)) return fail(node, `${where}: a step is send, keys, expect (with timeout), signal, wait or close`);
  const entries = new Map(node.items.map((p) => [isScalar(p.key) ? String(p.key.value) : '', { key: p.key as Node, value: p.value as Node | null }]));
  const kinds = [...entries.keys()].filter((k) => k !== 'timeout');
  if (kinds.length !== 1) return fail(node, `${where}: a step has one of send, keys, expect, signal, wait, close (got ${kinds.join(', ') || 'none'})`);
  const kind = kinds[0]!;
  const { key, value } = entries.get(kind)!;
  const timeout = entries.get('timeout');
  if (timeout !== undefined && kind !== 'expect') fail(timeout.key, `${where}: timeout belongs to expect, not ${kind}`);
  const str = (): string => {
    if (!isScalar(value) || value.value === null || typeof value.value === 'object') return fail(value ?? key, `${where}: ${kind} needs a value`);
    return String(value.value);
  };
  const duration = (n: Node | null, what: string): number => {
    const v = isScalar(n) ? n.value : undefined;
    const ms = typeof v === 'string' || typeof v === 'number' ? durationMs(v) : undefined;
    return ms ?? fail(n, `${where}: ${what}: bad duration ${JSON.stringify(v ?? null)} (e.g. 5s, 500ms)`);
  };
  switch (kind) {
    case 'send':
      return { send: str() };
    case 'keys': {
      const words = isSeq(value) ? value.items.map((i) => (isScalar(i) ? String(i.value) : '')) : str().split(/\s+/);
      if (words.some((w) => w === '')) fail(value, `${where}: keys takes key names (C-c, Enter, Up ...)`);
      return { keys: words };
    }
    case 'expect': {
      const pattern = str();
      try {
        compilePattern(pattern);
      } catch (err) {
        fail(value, `${where}: bad regular expression: ${(err as Error).message}`);
      }
      return { expect: pattern, timeout: timeout ? duration(timeout.value, 'timeout') : DEFAULT_EXPECT_TIMEOUT };
    }
    case 'signal': {
      const signal = signalOf(str());
      return signal !== undefined ? { signal } : fail(value, `${where}: unknown signal ${JSON.stringify(str())}`);
    }
    case 'wait':
      return { wait: duration(value, 'wait') };
    case 'close':
      return { close: true };
    default:
      return fail(key, `${where}: unknown step "${kind}" (expected send, keys, expect, signal, wait, close)`);
  }
}

/** A list of console names (stop_after, depends_on). */
export function parseNames(node: Node | null, where: string, fail: Fail): string[] {
  if (isScalar(node) && typeof node.value === 'string') return [node.value];
  if (!isSeq(node)) return fail(node, `${where} must be a list of console names`);
  return node.items.map((i) => (isScalar(i) && typeof i.value === 'string' ? i.value : fail(i as Node, `${where} must be a list of console names`)));
}
