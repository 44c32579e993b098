// The CLI tests drive the real bin/ptyplex, which loads the bundle in dist/:
// build both (tsc, then scripts/bundle.js) once from the current sources
// before any test runs, so the tests run what users run.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts/bundle.js')], { stdio: 'inherit' });
}
