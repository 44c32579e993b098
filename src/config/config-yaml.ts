// ptyplex.yaml: a map of consoles, each a command string or an object with
// cmd (or adopt: a console socket to receive its master on), cwd, env,
// cols, rows. Errors name the file and the line.
//
//   consoles:
//     web: npm start
//     db:
//       cmd: postgres -D data
//       env: { PGPORT: "5433" }
//
// and the supervision keys (see supervision.ts): ready, restart, backoff,
// max_restarts, autostart, depends_on as a map of conditions, env_file.
import path from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import { ConfigError } from './config-error.js';
import { nameProblem, type ConsoleSpec } from './console-spec.js';
import { scriptsOf, stopOrder } from './stop-script.js';
import { parseNames, parseSteps } from './stop-script-yaml.js';
import { readEnvFile } from './env-file.js';
import { readBackoff, readCondition, readMaxRestarts, readPolicy, readReady, SupervisionError, type Condition } from './supervision.js';

const STOP_KEYS = ['stop', 'stop_after', 'depends_on'];
const SUPERVISION_KEYS = ['ready', 'restart', 'backoff', 'max_restarts', 'autostart', 'env_file'];
const KEYS = new Set(['cmd', 'adopt', 'cwd', 'env', 'cols', 'rows', ...STOP_KEYS, ...SUPERVISION_KEYS]);

/**
 * A --script file: the same shape as ptyplex.yaml, with only the stop keys
 * (stop, stop_after, depends_on) for each console. `lineOf(name)` locates a
 * console, to report one the session does not have.
 */
export function parseScriptFile(text: string, file: string): { specs: ConsoleSpec[]; lineOf(name: string): number | undefined } {
  const lines: Map<string, number | undefined> = new Map();
  const specs = parseYaml(text, file, new Set(STOP_KEYS), lines);
  return { specs, lineOf: (name) => lines.get(name) };
}

export function parseYamlConfig(text: string, file: string): ConsoleSpec[] {
  return parseYaml(text, file, KEYS, new Map());
}

function parseYaml(text: string, file: string, keys: ReadonlySet<string>, consoleLines: Map<string, number | undefined>): ConsoleSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new ConfigError(file, lineOf(node), reason);
  };
  const first = doc.errors[0];
  if (first !== undefined) {
    throw new ConfigError(file, lines.linePos(first.pos[0]).line, first.message.split('\n')[0] ?? 'YAML syntax error');
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'expected a map with a "consoles" key');
  const consoles = root.get('consoles', true);
  if (!isMap(consoles)) return fail((consoles as Node | undefined) ?? root, '"consoles" must be a map of name to command');
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'consoles') fail(pair.key as Node, `unknown top-level key "${key}"`);
  }
  const scriptOnly = !keys.has('cmd');
  const refs = new Map<string, Node>();
  const specs = consoles.items.map((pair) => {
    consoleLines.set(String(isScalar(pair.key) ? pair.key.value : ''), lineOf(pair.key as Node));
    return parseConsole(pair as Pair<Node, Node>, keys, fail, refs, { file, lineOf });
  });
  if (specs.length === 0) fail(consoles, 'no consoles defined');
  checkStopOrder(specs, refs, scriptOnly, fail);
  return specs;
}

// Names in stop_after / depends_on exist (in a --script file they are
// checked against the live session instead), and the order has no cycle.
function checkStopOrder(specs: ConsoleSpec[], refs: Map<string, Node>, scriptOnly: boolean, fail: (n: Node | null | undefined, r: string) => never): void {
  const names = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    for (const other of [...(spec.stopAfter ?? []), ...(spec.dependsOn ?? [])]) {
      if (!scriptOnly && !names.has(other)) fail(refs.get(spec.name), `console "${spec.name}": no console named "${other}" to stop after or depend on`);
    }
  }
  try {
    stopOrder(scriptsOf(specs, []));
  } catch (err) {
    const first = /cycle: (\S+)/.exec((err as Error).message)?.[1] ?? '';
    fail(refs.get(first), (err as Error).message);
  }
}

type Where = { file: string; lineOf(node: Node | null | undefined): number | undefined };

function parseConsole(pair: Pair<Node, Node>, keys: ReadonlySet<string>, fail: (n: Node | null | undefined, r: string) => never, refs: Map<string, Node>, where: Where): ConsoleSpec {
  const name = isScalar(pair.key) ? String(pair.key.value) : '';
  const bad = nameProblem(name);
  if (bad !== undefined) fail(pair.key, bad);
  const value = pair.value;
  if (isScalar(value) && keys.has('cmd')) {
    const cmd = text(value);
    if (cmd === undefined) return fail(value, `console "${name}" has an empty command`);
    return { name, cmd };
  }
  if (!isMap(value)) return fail(value ?? pair.key, `console "${name}" must be a command or a map with "cmd"`);
  const spec: ConsoleSpec = { name, cmd: '' };
  for (const item of value.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    const v = item.value as Node | null;
    if (!keys.has(key)) fail(item.key as Node, `console "${name}": unknown key "${key}" (expected ${[...keys].join(', ')})`);
    if (key === 'stop') {
      spec.stop = parseSteps(v, `console "${name}"`, fail);
    } else if (key === 'depends_on' && isMap(v)) {
      spec.startWhen = parseConditions(v, name, fail);
      spec.dependsOn = Object.keys(spec.startWhen);
      refs.set(name, item.key as Node);
    } else if (SUPERVISION_KEYS.includes(key)) {
      parseSupervision(spec, key, v, item.key as Node, fail, where);
    } else if (key === 'stop_after' || key === 'depends_on') {
      const list = parseNames(v, `console "${name}": ${key}`, fail);
      if (key === 'stop_after') spec.stopAfter = list;
      else spec.dependsOn = list;
      refs.set(name, item.key as Node);
    } else if (key === 'cmd' || key === 'cwd' || key === 'adopt') {
      const t = isScalar(v) ? text(v) : undefined;
      if (t === undefined) return fail(v ?? (item.key as Node), `console "${name}": ${key} must be a non-empty string`);
      spec[key] = t;
    } else if (key === 'cols' || key === 'rows') {
      const n = isScalar(v) ? v.value : undefined;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) fail(v ?? (item.key as Node), `console "${name}": ${key} must be a whole number from 1 to 65535`);
      spec[key] = n as number;
    } else {
      if (!isMap(v)) return fail(v ?? (item.key as Node), `console "${name}": env must be a map`);
      spec.env = { ...spec.env };
      for (const e of v.items) {
        const k = isScalar(e.key) ? String(e.key.value) : '';
        const ev = e.value as Node | null;
        if (!isScalar(ev) || ev.value === null || typeof ev.value === 'object') fail(ev ?? (e.key as Node), `console "${name}": env ${k} must be a scalar`);
        spec.env[k] = String((ev as { value: unknown }).value);
      }
    }
  }
  if (spec.startWhen === undefined && spec.dependsOn !== undefined && keys.has('cmd')) {
    spec.startWhen = Object.fromEntries(spec.dependsOn.map((d) => [d, 'started' as const]));
  }
  if (keys.has('cmd') && spec.cmd === '' && spec.adopt === undefined) fail(value, `console "${name}" has no cmd (or adopt)`);
  if (spec.cmd !== '' && spec.adopt !== undefined) fail(value, `console "${name}" has both cmd and adopt`);
  return spec;
}

// depends_on: { db: ready, migrate: completed_successfully }
function parseConditions(node: Node, name: string, fail: (n: Node | null | undefined, r: string) => never): Record<string, Condition> {
  const out: Record<string, Condition> = {};
  if (!isMap(node)) return out;
  for (const item of node.items) {
    const dep = isScalar(item.key) ? String(item.key.value) : '';
    const v = item.value as Node | null;
    try {
      out[dep] = readCondition(dep, isScalar(v) ? v.value : v?.toJSON());
    } catch (err) {
      if (!(err instanceof SupervisionError)) throw err;
      fail(v ?? (item.key as Node), `console "${name}": ${err.reason}`);
    }
  }
  return out;
}

// ready, restart, backoff, max_restarts, autostart, env_file: each read by
// supervision.ts (or dotenv), a mistake pointed at by the value's line.
function parseSupervision(spec: ConsoleSpec, key: string, v: Node | null, keyNode: Node, fail: (n: Node | null | undefined, r: string) => never, where: Where): void {
  const value: unknown = isScalar(v) ? v.value : v?.toJSON();
  try {
    if (key === 'ready') spec.ready = readReady(value);
    else if (key === 'restart') spec.restart = readPolicy(value);
    else if (key === 'backoff') spec.backoff = readBackoff(value);
    else if (key === 'max_restarts') spec.maxRestarts = readMaxRestarts(value);
    else if (key === 'autostart') {
      if (typeof value !== 'boolean') throw new SupervisionError('autostart must be true or false');
      spec.autostart = value;
    } else {
      if (typeof value !== 'string' || value.trim() === '') throw new SupervisionError('env_file must be a file name');
      const file = path.resolve(path.dirname(where.file), value);
      // The file's variables under the console's own env: (which wins).
      spec.env = { ...readEnvFile(file, { file: where.file, line: where.lineOf(v ?? keyNode) }), ...spec.env };
    }
  } catch (err) {
    if (!(err instanceof SupervisionError)) throw err;
    fail(v ?? keyNode, `console "${spec.name}": ${err.reason}`);
  }
}

// A scalar as the text the user typed: `cmd: true` is the command "true",
// not a boolean. Empty and null are undefined.
function text(node: Node): string | undefined {
  const v = isScalar(node) ? node.value : undefined;
  if (v === null || v === undefined || typeof v === 'object') return undefined;
  const s = String(v);
  return s.trim() === '' ? undefined : s;
}
