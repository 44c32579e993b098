// ptyplex upgrade: the session's server replaces its program (execve) and
// every console goes on: the same pids, no byte of output lost or doubled,
// exit statuses still collected, clients reconnected; a new program that
// refuses the state leaves the old one serving, unchanged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installCopy } from './helpers/install.js';
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
    // Two consoles that stop in the middle of a line until Enter: one inside
    // a colour escape sequence, one inside a UTF-8 character (é is c3 a9).
    const cut = (before: string, after: string) => `stty -echo; printf '${before}'; read x; printf '${after}-right\\n'; exec sleep 60`;
    const run = s.cli(['run', '-d', '-L', 'up', '--log-dir', logs, '--log-plain', '--names', 'sh,sleeper,counter,esc,utf8', 'exec bash --norc --noprofile', 'sleep 4; exit 7', COUNTER, cut('left-\\033[3', '1mred\\033[0m'), cut('left-\\303', '\\251')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(s.cli(['send', '-L', 'up', '--keys', 'sh', 'X=41', 'Enter']).status).toBe(0);
    const before = s.describe('up');
    expect(before.server.generation).toBe(0);
    const tee = s.start(['tee', '-L', 'up', 'counter']);
    for (const name of ['esc', 'utf8']) await until(() => fs.readFileSync(path.join(logs, `${name}.log`), 'latin1').includes('left-'), `${name} to stop mid-line`);
    await until(() => s.describe('up').consoles.find((c) => c.name === 'counter')!.clients === 0 && numbers(fs.readFileSync(path.join(logs, 'counter.log'), 'utf8')).length > 200, 'the counter to count');

    const up = s.cli(['upgrade', '-L', 'up']);
    expect(up).toMatchObject({ status: 0, stderr: '' });
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

    // The plain log's line cut by the switch comes out whole: no stray escape, no U+FFFD.
    for (const name of ['esc', 'utf8']) expect(s.cli(['send', '-L', 'up', '--keys', name, 'Enter']).status).toBe(0);
    const plain = (name: string) => fs.readFileSync(path.join(logs, `${name}.plain.log`), 'utf8');
    await until(() => plain('esc').includes('right') && plain('utf8').includes('right'), 'the cut lines to end');
    expect(plain('esc')).toBe('left-red-right\r\n');
    expect(plain('utf8')).toBe('left-\u00e9-right\r\n');

    s.cli(['stop', '-L', 'up', 'counter']);
    const teeDone = await tee.done;
    expect(teeDone.stderr).toBe('');
    expectEveryNumberOnce(numbers(fs.readFileSync(path.join(logs, 'counter.log'), 'utf8')));
    // The follower reconnected and resumed from its offset: no gap, no repeat.
    expectEveryNumberOnce(numbers(teeDone.stdout));
  }, 60_000);

  it('an installed ptyplex that refuses the state (another format) or does not start leaves the old server serving, unchanged, with a one-line reason; a good one takes over and reports its version', async () => {
    const installed = installCopy();
    try {
      const run = installed.cli(['run', '-d', '-L', 'refused', 'sleep 60'], s.env);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const before = s.describe('refused');
      const unchanged = () => {
        const after = s.describe('refused');
        expect(after.server).toEqual(before.server);
        expect(after.consoles.map((c) => [c.name, c.pid, c.state])).toEqual(before.consoles.map((c) => [c.name, c.pid, c.state]));
      };

      // A later ptyplex whose state format is 2: it cannot read what this server writes.
      // (The CLI runs from its bundle, dist/ptyplex-cli.cjs, not from dist/server/.)
      installed.edit('dist/ptyplex-cli.cjs', 'STATE_VERSION=1', 'STATE_VERSION=2');
      const refused = s.cli(['upgrade', '-L', 'refused']);
      expect(refused.stderr).toBe('ptyplex: the installed ptyplex refused the upgrade: state format 1 is not one this ptyplex reads (it reads 2); not upgraded\n');
      expect(refused.status).toBe(1);
      unchanged();
      // Still serving: it reads its console again.
      expect(s.cli(['send', '-L', 'refused', '--keys', 'sleep', 'hello', 'Enter']).status).toBe(0);
      expect(s.cli(['expect', '-L', 'refused', 'sleep', 'hello', '--timeout', '5s']).status).toBe(0);

      // A broken install: the program throws as it loads.
      installed.edit('dist/ptyplex-cli.cjs', 'STATE_VERSION=2', 'STATE_VERSION=1');
      const main = fs.readFileSync(path.join(installed.dir, 'bin', 'ptyplex.js'), 'utf8');
      fs.writeFileSync(path.join(installed.dir, 'bin', 'ptyplex.js'), "throw new Error('a half-written install');\n");
      const broken = s.cli(['upgrade', '-L', 'refused']);
      expect(broken.stderr).toBe('ptyplex: the installed ptyplex refused the upgrade: Error: a half-written install; not upgraded\n');
      expect(broken.status).toBe(1);
      unchanged();

      // Mended, and a new version: it takes over.
      fs.writeFileSync(path.join(installed.dir, 'bin', 'ptyplex.js'), main);
      installed.edit('package.json', '"version": "0.1.0"', '"version": "0.1.1-test"');
      const up = s.cli(['upgrade', '-L', 'refused']);
      expect(up.stderr).toBe('');
      expect(up.status).toBe(0);
      const after = s.describe('refused');
      expect(after.server).toMatchObject({ pid: before.server.pid, version: '0.1.1-test', started: before.server.started, generation: 1 });
      expect(after.consoles.map((c) => [c.name, c.pid, c.state])).toEqual(before.consoles.map((c) => [c.name, c.pid, c.state]));
    } finally {
      s.cli(['kill-server', '-L', 'refused']);
      installed.remove();
    }
  }, 60_000);
});

