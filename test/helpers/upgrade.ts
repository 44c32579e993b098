// Helpers for the upgrade tests: a session server whose upgrade takes a
// while at a known point, and a look at whether one is under way.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SLOW_CHECK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'slow-check.mjs');

/** The environment that makes a session server's upgrade check take ms (see slow-check.mjs). */
export function slowCheckEnv(env: NodeJS.ProcessEnv, ms = 2000): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: `--import=${SLOW_CHECK}`, PTYPLEX_TEST_SLOW_CHECK_MS: String(ms) };
}

/** True while the server (pid) is in an upgrade's check: its old program still runs, its clients are cut loose. */
export function checking(serverPid: number): boolean {
  const r = spawnSync('pgrep', ['-P', String(serverPid), '-f', '__resume --check'], { encoding: 'utf8' });
  return r.stdout.trim() !== '';
}
