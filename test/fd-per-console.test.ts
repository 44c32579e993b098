// Review: issue 18 at the limits. A console must cost one descriptor (its
// master), or a session holds half the consoles its open-file limit allows;
// and the refusal must name the limit even when not one descriptor is left
// to read /proc/self/limits with.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, type TestSessions } from './helpers/session.js';

let s: TestSessions | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

function fdsOf(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function threadsOf(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/task`).length;
}

describe('18 (review) one descriptor per console', () => {
  it('each idle console costs the server one file descriptor, not two', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'one', 'sleep 300']).status).toBe(0);
    expect(s.cli(['run', '-d', '-L', 'many', ...Array.from({ length: 41 }, () => 'sleep 300')]).status).toBe(0);
    const perConsole = (fdsOf(s.describe('many').pid) - fdsOf(s.describe('one').pid)) / 40;
    // Today: 2 (a /dev/ptmx master and an anon_inode:[pidfd] each), though no
    // code path signals a spawned console through its pidfd.
    expect(perConsole).toBeLessThanOrEqual(1);
  }, 60_000);

  // node-pty's fork kept a thread per child to wait for it, and fork()
  // copies every thread's stack mapping: with 1000 consoles each new one
  // took 11 ms to fork, with 3000, 32 ms (native/spawn_pty.cc). The server
  // now collects exits on SIGCHLD, so a console costs no thread at all.
  it('a console costs the server no thread (so starting one costs the same in a full session)', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'one', 'sleep 300']).status).toBe(0);
    expect(s.cli(['run', '-d', '-L', 'many', ...Array.from({ length: 41 }, () => 'sleep 300')]).status).toBe(0);
    // libuv's pool may start a thread or two more in one of them: a margin
    // far below one per console.
    expect(threadsOf(s.describe('many').pid) - threadsOf(s.describe('one').pid)).toBeLessThanOrEqual(4);
  }, 60_000);

  it('the refusal names the open-file limit when the server has no descriptor left', () => {
    s = testSessions();
    const r = spawnSync('bash', ['-c', `ulimit -n 128; exec "$0" "$@"`, process.execPath, BIN, 'run', '-d', '-L', 'full', ...Array.from({ length: 150 }, () => 'sleep 300')], {
      env: s.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).not.toBe(0);
    // Today: "too many open files (limit unknown; raise it with ulimit -n)".
    expect(r.stderr).toMatch(/too many open files \(limit 128;/);
  }, 60_000);
});
