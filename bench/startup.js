// Start-up: what one short ptyplex command costs, against `node -e 0` (the
// floor for any Node program) in the same run. Commands: --version, ls,
// send, expect (a match already on the screen) and tee --no-follow, the
// last four against a live detached session. Each command runs `reps` times
// (20; --quick 5), interleaved round by round so the machine's load hits
// all alike; figures are median wall times (spawn to exit, as a script
// calling ptyplex in a loop sees them) and their ratio to node's.
// Goal: each within 1.3x of node -e 0.
//
// With --before BIN (another checkout's bin/ptyplex.js, built), the same
// commands run through it too, against a session of its own, interleaved
// in the same rounds: a before/after measured under the same load.
//
// node bench/startup.js [--quick] [--reps N] [--before BIN]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const i = process.argv.indexOf('--reps');
const reps = i >= 0 ? Number(process.argv[i + 1]) : process.argv.includes('--quick') ? 5 : 20;
const GOAL = 1.3;
const b = process.argv.indexOf('--before');
const before = b >= 0 ? path.resolve(process.argv[b + 1]) : undefined;

// One private runtime directory per executable: each finds only its own session.
const runtimeDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bench-startup-'));
  fs.chmodSync(d, 0o700);
  return d;
};
const dir = runtimeDir();
const env = { ...process.env, XDG_RUNTIME_DIR: dir };
const beforeDir = before === undefined ? undefined : runtimeDir();
const beforeEnv = { ...process.env, XDG_RUNTIME_DIR: beforeDir };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One timed run; a failure is a broken benchmark, not a slow one.
function timed(args, withEnv = env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env: withEnv, encoding: 'utf8', timeout: 30_000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bench: ${args.slice(1).join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall, stdout: r.stdout };
}

const ptyplex = (exe) => ({
  'ptyplex --version': [exe, '--version'],
  'ptyplex ls': [exe, 'ls'],
  'ptyplex send': [exe, 'send', 'sink', 'hello', '--keys', 'Enter'],
  'ptyplex expect (immediate match)': [exe, 'expect', 'shown', 'READY'],
  'ptyplex tee --no-follow': [exe, 'tee', 'shown', '--no-follow'],
});
const commands = { 'node -e 0': ['-e', '0'], ...ptyplex(bin) };
const beforeCommands = before === undefined ? {} : ptyplex(before);

// The session the client commands talk to: `shown` printed READY and
// waits (never sent input, so expect matches at once); `sink` swallows
// what send types.
const session = (exe, withEnv) => execFileSync(process.execPath, [exe, 'run', '-d', '--names', 'shown,sink', 'echo READY; exec sleep 600', 'exec cat >/dev/null'], { env: withEnv });
session(bin, env);
if (before !== undefined) session(before, beforeEnv);
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
const beforeTimes = Object.fromEntries(Object.keys(beforeCommands).map((k) => [k, []]));
try {
  // One untimed round: the page cache and the server's first replies.
  for (const args of Object.values(commands)) timed(args);
  for (const args of Object.values(beforeCommands)) timed(args, beforeEnv);
  if (!timed(commands['ptyplex expect (immediate match)']).stdout.includes('READY')) throw new Error('bench: expect did not print its match');
  for (let r = 0; r < reps; r++) {
    for (const [k, args] of Object.entries(commands)) {
      times[k].push(timed(args).wall);
      if (k in beforeCommands) beforeTimes[k].push(timed(beforeCommands[k], beforeEnv).wall);
    }
  }
} finally {
  spawnSync(process.execPath, [bin, 'kill-server'], { env });
  if (before !== undefined) spawnSync(process.execPath, [before, 'kill-server'], { env: beforeEnv });
  fs.rmSync(dir, { recursive: true, force: true });
  if (beforeDir !== undefined) fs.rmSync(beforeDir, { recursive: true, force: true });
}

const base = median(times['node -e 0']);
const rows = Object.keys(commands).slice(1).map((k) => {
  const ratio = median(times[k]) / base;
  const was = before === undefined ? '' : `  ${(median(beforeTimes[k]) / base).toFixed(2)}`;
  return { what: `${k} / node -e 0`, ratio, ms: median(times[k]) * 1000, was };
});
const w = Math.max(...rows.map((r) => r.what.length));
console.log(`${'figure'.padEnd(w)}  ratio   goal     met   (ms)${before === undefined ? '' : '  before'}`);
for (const r of rows) {
  console.log(`${r.what.padEnd(w)}  ${r.ratio.toFixed(2).padEnd(6)}  <= ${GOAL.toFixed(1)}   ${(r.ratio <= GOAL ? 'yes' : 'NO').padEnd(4)}  ${r.ms.toFixed(0).padEnd(4)}${r.was}`);
}
console.log(`(medians of ${reps} interleaved runs; node -e 0 ${(base * 1000).toFixed(0)} ms; Node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)})`);
fs.mkdirSync(path.join(here, 'out'), { recursive: true });
fs.writeFileSync(path.join(here, 'out', 'startup.json'), JSON.stringify({ reps, times, ...(before !== undefined && { before, beforeTimes }) }, null, 2));
