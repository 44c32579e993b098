#!/usr/bin/env node
// Installs the system tools the test suite drives (tmux, runc, crun,
// busybox-static, asciinema, util-linux's script, dash for the attach
// panes, procps's pgrep and ps, /usr/bin/time for the benchmarks, chromium
// for the browser tests, openssh for the ssh tests) when one
// is missing, with apt-get: CI and developer machines are fresh Debian or
// Ubuntu boxes where we are root. Prints what it did; a tool that still
// cannot be had is reported loudly and the script exits 1, so `npm test`
// stops before any test runs (tests never skip).
import { execFileSync, spawnSync } from 'node:child_process';

const tools = [
  { bin: 'tmux', pkg: 'tmux' },
  { bin: 'runc', pkg: 'runc' },
  { bin: 'crun', pkg: 'crun' },
  { bin: 'busybox', pkg: 'busybox-static' },
  { bin: 'asciinema', pkg: 'asciinema' },
  { bin: 'script', pkg: 'util-linux' },
  { bin: 'cc', pkg: 'gcc' },
  { bin: 'dash', pkg: 'dash' },
  { bin: 'pgrep', pkg: 'procps' },
  { bin: 'ps', pkg: 'procps' },
  // A path: in bash, `command -v time` finds the keyword.
  { bin: '/usr/bin/time', pkg: 'time' },
  // The browser tests drive Debian's Chromium through playwright-core (never
  // a downloaded browser); the ssh tests start their own sshd on loopback.
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { bin: 'ssh', pkg: 'openssh-client' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

const missing = tools.filter((t) => !has(t.bin));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((t) => t.pkg))];
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
  console.error(`ptyplex tests: STILL MISSING: ${still.map((t) => t.bin).join(', ')}; install ${[...new Set(still.map((t) => t.pkg))].join(' ')} and run again`);
  process.exit(1);
}
