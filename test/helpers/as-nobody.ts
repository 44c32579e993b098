// Running ptyplex as another user (nobody) from a root test. The checkout
// may sit in a directory only its owner can enter, so nobody runs a copy:
// bin, dist, the addon and the runtime dependencies, readable by all.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NOBODY = 65534;

// The top-level packages dist/ loads at run time, and theirs: a dependency
// resolves as Node resolves it, from the nearest node_modules up the tree
// (packages copied whole bring their nested node_modules along).
function runtimePackages(): string[] {
  const modules = path.join(root, 'node_modules');
  const top = new Set<string>();
  const visited = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; dir.startsWith(root); dir = path.dirname(dir)) {
      const at = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(at, 'package.json'))) return at;
    }
    return undefined;
  };
  const visit = (dir: string): void => {
    if (visited.has(dir)) return;
    visited.add(dir);
    if (dir !== root && (path.dirname(dir) === modules || path.dirname(path.dirname(dir)) === modules)) top.add(path.relative(modules, dir));
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const at = resolve(dir, dep);
      if (at !== undefined) visit(at);
    }
  };
  visit(root);
  return [...top];
}

let copy: string | undefined;

/** bin/ptyplex.js in a copy of the built checkout that every user can read. */
export function readableBin(): string {
  if (copy !== undefined) return copy;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-readable-'));
  for (const part of ['bin', 'dist', 'package.json', 'build/Release/ptyplex.node', ...runtimePackages().map((p) => `node_modules/${p}`)]) {
    fs.cpSync(path.join(root, part), path.join(dir, part), { recursive: true, dereference: true });
  }
  const r = spawnSync('chmod', ['-R', 'a+rX', dir]);
  if (r.status !== 0) throw new Error(`chmod -R a+rX ${dir} failed`);
  copy = path.join(dir, 'bin', 'ptyplex.js');
  return copy;
}

/** Runs `ptyplex args...` as nobody, from the readable copy. */
export function ptyplexAsNobody(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [readableBin(), ...args], {
    uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
  });
}
