// Review 2 of 18: refuseNearFdLimit compares against the soft limit read
// once when spawn-error.ts was loaded. A process whose soft limit was
// raised after that (prlimit, a posix module) is refused far below its
// limit, and the message names the new limit it is nowhere near.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const spawnJs = path.resolve(__dirname, '../dist/console/spawn.js');
const script = `
import fs from 'node:fs'; import { execFileSync } from 'node:child_process';
execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=64:4096']);
const { spawn } = await import(${JSON.stringify(spawnJs)});
execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=4096:4096']);
for (let i = 0; i < 45; i++) fs.openSync('/dev/null', 'r');
try { const c = spawn('/bin/sleep', ['5']); c.kill('SIGKILL'); console.log('spawned'); }
catch (e) { console.log('refused: ' + e.message); }
process.exit(0);`;

it('18 (review 2) a console is not refused at 65 descriptors once the soft limit is 4096', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 }).trim();
  expect(out).toBe('spawned');
});
