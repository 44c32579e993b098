// Stop scripts as written in YAML (a console's `stop:` list in ptyplex.yaml,
// or a --script file): each step is read by the one grammar (stop-step.ts)
// in its file form, and a mistake is pointed at by its line.
//
//   stop:
//     - send: "exit\n"
//     - expect: "stopped"
//       timeout: 5s
//     - signal: SIGTERM
//     - wait: 5s
//     - close
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { readStep, StepError, type Step } from './stop-step.js';

export type Fail = (node: Node | null | undefined, reason: string) => never;

export function parseSteps(node: Node | null, where: string, fail: Fail): Step[] {
  if (!isSeq(node)) return fail(node, `${where}: stop must be a list of steps`);
  return node.items.map((item) => parseStep(item as Node | null, where, fail));
}

function parseStep(node: Node | null, where: string, fail: Fail): Step {
  try {
    return readStep(node?.toJSON() ?? null, 'file');
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    return fail(placeOf(node, err.at), `${where}: ${err.reason}`);
  }
}

// The node a StepError points at: a key of the step, or its value (the
// key itself when the value is missing), else the whole step.
function placeOf(node: Node | null, at: StepError['at']): Node | null {
  if (at === undefined || !isMap(node)) return node;
  const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === at.key);
  if (pair === undefined) return node;
  return at.part === 'value' ? ((pair.value as Node | null) ?? (pair.key as Node)) : (pair.key as Node);
}

/** A list of console names (stop_after, depends_on). */
export function parseNames(node: Node | null, where: string, fail: Fail): string[] {
  if (isScalar(node) && typeof node.value === 'string') return [node.value];
  if (!isSeq(node)) return fail(node, `${where} must be a list of console names`);
  return node.items.map((i) => (isScalar(i) && typeof i.value === 'string' ? i.value : fail(i as Node, `${where} must be a list of console names`)));
}
