// A copy of this ptyplex "installed" in a scratch directory, for the
// upgrade tests: a session server is started from it, then the copy is
// changed on disk (another state format, a broken build, a new version),
// as `npm install -g` would change it under a running server.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Installed {
  dir: string;
  bin: string;
  /** Runs the installed ptyplex to completion. */
  cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string };
  /** Replaces text (which must occur once) in one of its files, e.g. dist/server/upgrade-state.js. */
  edit(file: string, find: string, replace: string): void;
  remove(): void;
}

export function installCopy(): Installed {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-installed-'));
  for (const part of ['bin', 'dist', 'build', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  const bin = path.join(dir, 'bin', 'ptyplex.js');
  return {
    dir,
    bin,
    cli(args, env) {
      const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    edit(file, find, replace) {
      const at = path.join(dir, file);
      const text = fs.readFileSync(at, 'utf8');
      if (text.split(find).length !== 2) throw new Error(`${file}: "${find}" does not occur exactly once`);
      fs.writeFileSync(at, text.replace(find, replace));
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
