// Real containers for the adoption tests: a minimal OCI bundle (busybox as
// every command) and runc run -d with a console socket. Each container has
// a unique id and is deleted afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needsRoot } from './needs-root.js';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'seq', 'ls', 'stty', 'printf'];

/** A bundle whose process is `args` on a terminal. */
export function makeBundle(args: string[]): string {
  needsRoot('it runs containers with runc');
  if (BUSYBOX === undefined) throw new Error('busybox-static is not installed (scripts/ensure-tools.js installs it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bundle-'));
  const bin = path.join(dir, 'rootfs', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(bin, a));
  execFileSync('runc', ['spec'], { cwd: dir });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
    process: { terminal: boolean; args: string[] };
    root: { readonly: boolean };
  };
  config.process.terminal = true;
  config.process.args = args;
  config.root.readonly = false;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

let serial = 0;
const started: string[] = [];

/** `runc run -d --console-socket`; returns the container id. */
export function runContainer(bundle: string, consoleSocket: string): string {
  const id = `ptyplex-test-${process.pid}-${++serial}`;
  const r = spawnSync('runc', ['run', '-d', '--console-socket', consoleSocket, '-b', bundle, id], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`runc run failed (${r.status}): ${r.stderr}`);
  started.push(id);
  return id;
}

export function containerStatus(id: string): string {
  const r = spawnSync('runc', ['state', id], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : 'gone';
}

/** Kills and deletes every container these tests started. */
export function removeContainers(): void {
  for (const id of started.splice(0)) {
    spawnSync('runc', ['kill', id, 'KILL'], { stdio: 'ignore' });
    spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
  }
}
