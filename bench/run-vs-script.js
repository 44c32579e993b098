// `ptyplex run --log-dir` with one console cat-ing 64 MiB, against util-linux
// `script -q -c` writing the same output to a file: ratios of wall time and
// of CPU (the process and its children, cat included), measured in the same
// run, interleaved: the best of N runs of each (the run least disturbed by
// the rest of the machine), medians alongside. Goal: not slower than script.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeData } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const reps = process.argv.includes('--quick') ? 3 : 5;
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const data = makeData(64 << 20, 'run.txt');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bench-run-'));

// /usr/bin/time reports wall and CPU of the command and all it waited for.
function timed(argv) {
  const file = path.join(out, 'time.txt');
  execFileSync('/usr/bin/time', ['-o', file, '-f', '%e %U %S', ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [wall, user, sys] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return { wall, cpu: user + sys };
}

const runs = { ours: [], script: [] };
for (let i = 0; i < reps; i++) {
  runs.ours.push(timed([process.execPath, bin, 'run', '--log-dir', out, `cat ${data.file}`]));
  runs.script.push(timed(['script', '-q', '-c', `cat ${data.file}`, path.join(out, 'script.log')]));
}
const ourLog = fs.statSync(path.join(out, 'cat.log')).size;
const scriptLog = fs.statSync(path.join(out, 'script.log')).size;
// Both must have logged everything (script adds its own header lines).
if (ourLog !== data.ptyBytes) throw new Error(`bench: ptyplex logged ${ourLog} bytes, expected ${data.ptyBytes}`);
if (scriptLog < data.ptyBytes) throw new Error(`bench: script logged ${scriptLog} bytes, expected at least ${data.ptyBytes}`);

// Start-up, the part of the gap that is not throughput: an empty run, bare
// node, and node loading yargs (the CLI's option parser) alone.
const startup = { run: [], script: [], node: [], yargs: [] };
for (let i = 0; i < reps; i++) {
  startup.run.push(timed([process.execPath, bin, 'run', 'true']).wall);
  startup.script.push(timed(['script', '-q', '-c', 'true', path.join(out, 'empty.log')]).wall);
  startup.node.push(timed([process.execPath, '-e', '0']).wall);
  startup.yargs.push(timed([process.execPath, '--input-type=module', '-e', "await import('yargs')"]).wall);
}
fs.rmSync(out, { recursive: true, force: true });
fs.rmSync(data.dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (k, f) => median(runs[k].map((r) => r[f]));
const best = (k, f) => Math.min(...runs[k].map((r) => r[f]));
const wall = best('ours', 'wall') / best('script', 'wall');
const cpu = best('ours', 'cpu') / best('script', 'cpu');
console.log('figure                                                   ratio   goal     met');
console.log(`ptyplex run --log-dir vs script -q -c, 64 MiB: wall time  ${wall.toFixed(2).padEnd(6)}  <= 1.0   ${wall <= 1 ? 'yes' : 'NO'}`);
console.log(`ptyplex run --log-dir vs script -q -c, 64 MiB: CPU        ${cpu.toFixed(2).padEnd(6)}  <= 1.0   ${cpu <= 1 ? 'yes' : 'NO'}`);
console.log(`(best of ${reps}: ptyplex ${best('ours', 'wall').toFixed(2)} s wall, ${best('ours', 'cpu').toFixed(2)} s CPU;`
  + ` script ${best('script', 'wall').toFixed(2)} s wall, ${best('script', 'cpu').toFixed(2)} s CPU;`
  + ` medians: wall ${(m('ours', 'wall') / m('script', 'wall')).toFixed(2)}, CPU ${(m('ours', 'cpu') / m('script', 'cpu')).toFixed(2)})`);
console.log(`(medians of ${reps}: ptyplex ${m('ours', 'wall').toFixed(2)} s wall, ${m('ours', 'cpu').toFixed(2)} s CPU;`
  + ` script ${m('script', 'wall').toFixed(2)} s wall, ${m('script', 'cpu').toFixed(2)} s CPU; logs ${ourLog} and ${scriptLog} bytes)`);
console.log(`(start-up, medians of ${reps}: ptyplex run true ${median(startup.run).toFixed(2)} s, script -c true ${median(startup.script).toFixed(2)} s,`
  + ` node -e 0 ${median(startup.node).toFixed(2)} s, node importing yargs ${median(startup.yargs).toFixed(2)} s)`);
// The same best runs less each one's own empty run: what is left is the
// 64 MiB itself. Node alone takes node -e 0 to start, which script does not.
const beyond = (best('ours', 'wall') - median(startup.run)) / (best('script', 'wall') - median(startup.script));
console.log(`(wall time less each command's empty run, ptyplex / script: ${beyond.toFixed(2)};`
  + ` the goal of 1.0 would leave ptyplex ${(best('script', 'wall') - median(startup.node)).toFixed(2)} s for its own work once Node has started)`);
