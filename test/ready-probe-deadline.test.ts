// Review of 13: a readiness probe attempt that hangs blocks every later
// attempt (one at a time, no per-attempt deadline), so a service that is
// ready is declared "not ready" once the check's timeout passes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions | undefined;
let dir: string | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('13 (review) readiness probes', () => {
  it('a first exec probe that hangs does not keep later probes from passing', async () => {
    s = testSessions();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-probe-'));
    const file = path.join(dir, 'ptyplex.yaml');
    fs.writeFileSync(file, `consoles:
  db:
    cmd: "sleep 300"
    ready: { exec: "[ -e ${dir}/first ] || { touch ${dir}/first; sleep 1000; }", interval: 200ms, timeout: 12s }
  web:
    cmd: "sleep 300"
    depends_on: { db: ready }
`);
    expect(s.cli(['run', '-d', '-f', file]).status).toBe(0);
    const web = await until(() => {
      const c = s!.describe().consoles.find((x) => x.name === 'web');
      return c !== undefined && c.state !== 'waiting' && c;
    }, 'web to leave waiting', 20_000);
    // Before: db "failed (not ready within 12s)", web "failed (dependency db failed ...)".
    expect(web.state).toBe('running');
  }, 30_000);
});
