// Runs in each vitest worker before its test file (a setup file). Tells the
// watchdog reporter in the main process which pid runs which file, and beats
// once a second: a worker whose event loop is starved (a poller spinning in
// native code keeps it busy) stops beating, and vitest's own per-test timers
// cannot fire there, so only the main process can notice and kill it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { beatFile } from './beat-file.js';

const dir = process.env.PTYPLEX_WATCHDOG_DIR;
const file = expect.getState().testPath;
if (dir && file) {
  const target = path.join(dir, beatFile(file));
  const beat = (): void => writeFileSync(target, `${process.pid} ${Date.now()}\n`);
  beat();
  setInterval(beat, 1000).unref();
}
