#!/usr/bin/env node
// The mutation suite: `npm run mutate [NAME...]`. Each test/mutations/NAME.json
// breaks one mechanism on purpose ({ what, file, find, replace, tests, name? }).
// For each, in a scratch copy of this checkout (node_modules symlinked,
// build/ copied): apply it, rebuild (tsc and the CLI bundle; node-gyp when
// the file is native), run its tests under the watchdog's limits, and say
// whether a test failed.
// Prints a table; exits non-zero if any mutation was missed or not applied.
// Not part of `npm test`: it takes minutes per native mutation.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'test/mutations');
// Per mutation: the watchdog cancels the run past this; a spinning worker is
// killed after its heartbeat has been silent for a minute.
const RUN_LIMIT_S = Number(process.env.PTYPLEX_MUTATION_LIMIT_S) || 420;

const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
const unknown = wanted.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`mutate: no such mutation: ${unknown.join(', ')} (see test/mutations/)`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : all;

const skip = new Set(['node_modules', '.git', 'dist', 'bench/out', '.ci/vitest-report.json']);

function scratchCopy() {
  const to = mkdtempSync(path.join(os.tmpdir(), 'ptyplex-mutate-'));
  cpSync(root, to, { recursive: true, filter: (src) => !skip.has(path.relative(root, src)) });
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(to, 'node_modules'));
  return to;
}

const run = (cmd, args, cwd, extra = {}) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28, ...extra });

// The first failing test (or the watchdog's kill) named in one short cell.
function whoFailed(report, watchdog) {
  if (watchdog?.killed?.length) return `KILLED ${watchdog.killed[0].file}`;
  for (const file of report?.testResults ?? []) {
    const t = file.assertionResults.find((a) => a.status === 'failed');
    if (t) return `${path.basename(file.name)}: ${t.title}`;
    if (file.status === 'failed') return `${path.basename(file.name)}: ${file.message.split('\n')[0].slice(0, 60)}`;
  }
  return '';
}

function mutate(name) {
  const m = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(0);
  const scratch = scratchCopy();
  try {
    const target = path.join(scratch, m.file);
    const text = existsSync(target) ? readFileSync(target, 'utf8') : '';
    const count = text.split(m.find).length - 1;
    if (count !== 1) return [name, 'NOT APPLIED', `find text occurs ${count} times in ${m.file}`, secs()];
    writeFileSync(target, text.replace(m.find, () => m.replace));
    const tsc = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], scratch);
    if (tsc.status !== 0) return [name, 'NOT APPLIED', `tsc failed: ${tsc.stdout.split('\n')[0]}`, secs()];
    const bundle = run(process.execPath, ['scripts/bundle.js'], scratch);
    if (bundle.status !== 0) return [name, 'NOT APPLIED', `bundle failed: ${bundle.stderr.split('\n')[0]}`, secs()];
    if (m.file.startsWith('native/')) {
      const gyp = run('npm', ['run', 'install', '--silent'], scratch);
      if (gyp.status !== 0) return [name, 'NOT APPLIED', 'node-gyp rebuild failed', secs()];
    }
    const report = path.join(scratch, 'mutation-report.json');
    const wd = path.join(scratch, 'mutation-watchdog.json');
    const args = ['node_modules/vitest/vitest.mjs', 'run', ...m.tests, '--reporter=./test/watchdog/reporter.ts',
      '--reporter=json', `--outputFile.json=${report}`, ...(m.name ? ['-t', m.name] : [])];
    const env = { ...process.env, PTYPLEX_RUN_LIMIT_S: String(RUN_LIMIT_S), PTYPLEX_WATCHDOG_REPORT: wd };
    const res = run(process.execPath, args, scratch, { env, timeout: (RUN_LIMIT_S + 120) * 1000, killSignal: 'SIGKILL' });
    const json = (f) => { try { return JSON.parse(readFileSync(f, 'utf8')); } catch { return undefined; } };
    const r = json(report);
    const failed = res.status !== 0 || res.signal !== null;
    if (!failed) return [name, 'MISSED', `${r?.numPassedTests ?? '?'} tests passed`, secs()];
    const who = whoFailed(r, json(wd)) || (res.signal ? `vitest killed (${res.signal})` : `vitest exit ${res.status}`);
    return [name, 'caught', who, secs()];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// The table is the CLI's own; compiled here only if it never was: a tsc
// run over a built tree would leave its bundle older than the sources, and
// the executable would start from the slower compiled files until the next
// build.
const { table } = await (async () => {
  if (!existsSync(path.join(root, 'dist/cli/table.js'))) run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], root);
  return import(path.join(root, 'dist/cli/table.js'));
})();
const rows = [['mutation', 'result', 'failing test', 'seconds']];
for (const name of names) {
  const row = mutate(name);
  process.stderr.write(`mutate: ${row.join('  ')}\n`);
  rows.push(row);
}
process.stdout.write(table(rows));
if (rows.slice(1).some((r) => r[1] !== 'caught')) process.exitCode = 1;
