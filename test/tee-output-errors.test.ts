// tee's own output failing: a full disk is one line and EX_IOERR (74), not
// a success with the output lost; a reader that has gone (| head) ends a
// tee that follows a console that never ends, quietly, with status 0.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;

beforeAll(() => {
  s = testSessions();
  const r = s.cli(['run', '-d', '--names', 'held,loud', 'seq 1 5000; exec sleep 300', 'while :; do echo loud; sleep 0.01; done']);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => s?.cleanup());

function sh(command: string): { status: number | null; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', command], { env: { ...s.env, NODE: process.execPath, BIN }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('tee when its output fails', () => {
  it('a full disk under stdout or --output is one line and status 74', async () => {
    await until(() => s.cli(['tee', '--no-follow', 'held']).stdout.includes('5000'), 'the output to be held');
    for (const command of ['"$NODE" "$BIN" tee --no-follow held > /dev/full', '"$NODE" "$BIN" tee held loud > /dev/full', '"$NODE" "$BIN" tee -o /dev/full loud']) {
      const r = sh(command);
      expect({ command, status: r.status, lines: r.stderr.trim().split('\n') }).toEqual({ command, status: 74, lines: [expect.stringMatching(/^ptyplex: cannot write (to standard output|\/dev\/full): ENOSPC$/)] });
    }
  });

  it('a reader that goes away ends a tee of a console that never ends, with status 0', () => {
    // Without the end, tee follows on until the 20 s bound kills the shell.
    const gone = sh('( "$NODE" "$BIN" tee loud; echo "status=$?" >&2 ) | head -c 100 > /dev/null');
    expect(gone.stderr).toMatch(/^status=0$/m);
  });
});
