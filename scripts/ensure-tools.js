#!/usr/bin/env node
// Installs the system tools the test suite drives (tmux, runc, crun,
// busybox-static, asciinema, util-linux's script) when one is missing, with
// apt-get: CI and developer machines are fresh Debian boxes where we are
// root. Prints what it did; a tool that still cannot be had is reported
// loudly here, and the tests that need it fail (they never skip).
import { execFileSync, spawnSync } from 'node:child_process';

const tools = [
  { bin: 'tmux', pkg: 'tmux' },
  { bin: 'runc', pkg: 'runc' },
  { bin: 'crun', pkg: 'crun' },
  { bin: 'busybox', pkg: 'busybox-static' },
  { bin: 'asciinema', pkg: 'asciinema' },
  { bin: 'script', pkg: 'util-linux' },
  { bin: 'cc', pkg: 'gcc' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

const missing = tools.filter((t) => !has(t.bin));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((t) => t.pkg);
console.error(`ptyplex tests: installing ${pkgs.join(', ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// As root (CI, these machines) apt-get runs directly; elsewhere through sudo.
const apt = (...args) => process.getuid?.() === 0
  ? execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
  : execFileSync('sudo', ['-n', 'apt-get', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env });
try {
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', ...pkgs);
} catch (err) {
  console.error(`ptyplex tests: apt-get failed: ${err.message.split('\n')[0]}`);
}
const still = missing.filter((t) => !has(t.bin));
if (still.length > 0) {
  console.error(`ptyplex tests: STILL MISSING: ${still.map((t) => t.bin).join(', ')}; the tests that drive them will fail`);
}
