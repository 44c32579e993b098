// ptyplex upgrade: the session's server replaces its program (execve) and
// every console goes on: the same pids, no byte of output lost or doubled,
// exit statuses still collected, clients reconnected; a new program that
// refuses the state leaves the old one serving, unchanged.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, until } from './helpers/session.js';

const s = testSessions();
const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-upgrade-'));
afterAll(() => {
  s.cleanup();
  fs.rmSync(logs, { recursive: true, force: true });
});

const COUNTER = 'i=0; while :; do i=$((i+1)); echo n$i; sleep 0.001; done';

// Every n<k> line of a log, as numbers, in order.
function numbers(text: string): number[] {
  return [...text.matchAll(/n(\d+)\r?\n/g)].map((m) => Number(m[1]));
}

function expectEveryNumberOnce(seen: number[]): void {
  expect(seen.length).toBeGreaterThan(100);
  const gaps = seen.flatMap((n, i) => (i > 0 && n !== seen[i - 1]! + 1 ? [`${seen[i - 1]} -> ${n}`] : []));
  expect(gaps).toEqual([]);
  expect(seen[0]).toBe(1);
}

describe('ptyplex upgrade', () => {
  it('keeps every console: the same bash answers with its variable, a sleeper exits 7 afterwards, logs and a following tee have every line once; generation 0 -> 1', async () => {
    const run = s.cli(['run', '-d', '-L', 'up', '--log-dir', logs, '--names', 'sh,sleeper,counter', 'bash --norc --noprofile', 'sleep 4; exit 7', COUNTER]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(s.cli(['send', '-L', 'up', '--keys', 'sh', 'X=41', 'Enter']).status).toBe(0);
    const before = s.describe('up');
    expect(before.server.generation).toBe(0);
    const tee = s.start(['tee', '-L', 'up', 'counter']);
    await until(() => s.describe('up').consoles.find((c) => c.name === 'counter')!.clients === 0 && numbers(fs.readFileSync(path.join(logs, 'counter.log'), 'utf8')).length > 200, 'the counter to count');

    const up = s.cli(['upgrade', '-L', 'up']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    const after = s.describe('up');
    expect(after.server.generation).toBe(1);
    expect(after.server.pid).toBe(before.server.pid);
    expect(after.server.started).toBe(before.server.started);
    const pid = (info: typeof before, name: string) => info.consoles.find((c) => c.name === name)!.pid;
    for (const name of ['sh', 'sleeper', 'counter']) expect(pid(after, name)).toBe(pid(before, name));

    // The same shell, with its state: it answers 42, and says its pid.
    expect(s.cli(['send', '-L', 'up', '--keys', 'sh', 'echo R$((X+1))-$$', 'Enter']).status).toBe(0);
    const answer = s.cli(['expect', '-L', 'up', 'sh', 'R\\d+-\\d+', '--timeout', '10s']);
    expect(answer.stdout.trim()).toBe(`R42-${pid(before, 'sh')}`);

    // The sleeper, a child of the old program, ends under the new one with its code.
    const sleeper = await until(() => {
      const c = s.describe('up').consoles.find((x) => x.name === 'sleeper')!;
      return c.state === 'exited' ? c : undefined;
    }, 'the sleeper to exit', 15_000);
    expect(sleeper.exitCode).toBe(7);

    s.cli(['stop', '-L', 'up', 'counter']);
    const teeDone = await tee.done;
    expect(teeDone.stderr).toBe('');
    expectEveryNumberOnce(numbers(fs.readFileSync(path.join(logs, 'counter.log'), 'utf8')));
    // The follower reconnected and resumed from its offset: no gap, no repeat.
    expectEveryNumberOnce(numbers(teeDone.stdout));
  }, 60_000);

  it('a new program that refuses the state (a format it does not read) leaves the old server serving, unchanged, with a one-line reason', async () => {
    // The stand-in: this server writes a state format no ptyplex reads.
    const env = { ...s.env, PTYPLEX_TEST_STATE_VERSION: '999' };
    const run = spawnCli(['run', '-d', '-L', 'refused', 'sleep 60'], env);
    expect(run.status).toBe(0);
    const before = s.describe('refused');
    const up = s.cli(['upgrade', '-L', 'refused']);
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/^ptyplex: the installed ptyplex refused the upgrade: state format 999 is not one this ptyplex reads \(it reads 1\); not upgraded\n$/);
    const after = s.describe('refused');
    expect(after.server).toEqual(before.server);
    expect(after.consoles.map((c) => [c.name, c.pid, c.state])).toEqual(before.consoles.map((c) => [c.name, c.pid, c.state]));
    // Still serving: it reads its console again.
    expect(s.cli(['send', '-L', 'refused', '--keys', 'sleep', 'hello', 'Enter']).status).toBe(0);
    expect(s.cli(['expect', '-L', 'refused', 'sleep', 'hello', '--timeout', '5s']).status).toBe(0);
  }, 30_000);
});

function spawnCli(args: string[], env: NodeJS.ProcessEnv): { status: number | null } {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
}
