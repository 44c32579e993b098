// Issue 14: the one-shot commands a script calls in loops (send, expect,
// ls, tee --no-follow) load none of what they do not use: not node:net
// and Node's streams (the control socket is driven by ptyplex's own
// poller, PolledSocket; results go out with write(2)), not node:tty (no
// terminal width asked unless help is), not child_process (ssh only for
// -H). Each of those is milliseconds of a 100 ms start; the bench
// (bench/startup.js) times it, this test pins which modules load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let dir: string;
let preload: string;

beforeAll(async () => {
  s = testSessions();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-modules-'));
  // Node's own record of the built-in modules it loaded, written at exit.
  preload = path.join(dir, 'loaded.cjs');
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n')));\n`);
  const r = s.cli(['run', '-d', '--names', 'c', 'echo ready; exec sleep 100000']);
  expect(r.status, r.stderr).toBe(0);
  await until(() => s.cli(['tee', '--no-follow', 'c']).stdout.includes('ready'), 'the console to be ready');
});

afterAll(() => {
  s?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The built-in modules (by name) loaded by `ptyplex args...`, and its status. */
function loaded(args: string[]): { status: number | null; modules: Set<string> } {
  const out = path.join(dir, 'out.txt');
  fs.rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['-r', preload, BIN, ...args], {
    env: { ...s.env, LOADED_OUT: out },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  const modules = fs.readFileSync(out, 'utf8').split('\n').filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  return { status: r.status, modules: new Set(modules) };
}

describe('14 what a one-shot command loads', () => {
  // In order: expect looks at the output since the last input, the x sent.
  it.each([
    [['send', 'c', 'x'], ['net', 'tty', 'child_process', 'stream']],
    [['expect', 'c', 'x'], ['net', 'tty', 'child_process', 'stream']],
    [['ls'], ['net', 'tty', 'child_process', 'stream']],
    [['tee', '--no-follow', 'c'], ['net', 'tty', 'child_process']],
  ])('ptyplex %j loads none of %j', (args, never) => {
    const { status, modules } = loaded(args);
    expect(status).toBe(0);
    // Loaded at all: the record is real (the bundle's loader uses vm).
    expect(modules.has('vm')).toBe(true);
    expect(never.filter((m) => modules.has(m))).toEqual([]);
  });
});
