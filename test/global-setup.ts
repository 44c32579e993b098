// Before any test runs: the CLI tests drive the real bin/ptyplex, which
// loads the bundle in dist/, so both are built (tsc, then
// scripts/bundle.js) once from the current sources, and the tests run what
// users run.
//
// And every file a run writes to the temporary directory (64 MiB test
// files, logs, browser profiles, its sessions' sockets) goes into one
// directory of its own, removed when the run ends, however its tests
// ended: TMPDIR, which os.tmpdir() reads and every process a test starts
// inherits. Tests that forget to clean up, or never reach it, cannot fill
// the disk run after run (a run left 1.4 GB behind before this).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): () => void {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts/bundle.js')], { stdio: 'inherit' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-tests-'));
  // As /tmp is: tests run some processes as nobody, which must reach theirs.
  fs.chmodSync(tmp, 0o1777);
  process.env.TMPDIR = tmp;
  return () => fs.rmSync(tmp, { recursive: true, force: true });
}
