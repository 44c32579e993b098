// Review of 12.7 after the merge of 13: `ls` (the table) with one stopped
// server must list it as "not responding"; the RESTARTS column added by 13
// left the silent row one cell short, and table() throws.
import { afterEach, describe, expect, it } from 'vitest';
import { testSessions, type TestSessions } from './helpers/session.js';

let s: TestSessions | undefined;
let stopped: number | undefined;
afterEach(() => {
  if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
  stopped = undefined;
  s?.cleanup();
  s = undefined;
});

describe('12.7 (review) ls with a stopped server', () => {
  it('lists the stopped session as not responding and the other as usual', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'alive', 'sleep 300']).status).toBe(0);
    expect(s.cli(['run', '-d', '-L', 'frozen', 'sleep 300']).status).toBe(0);
    stopped = s.describe('frozen').pid;
    process.kill(stopped, 'SIGSTOP');
    const r = s.cli(['ls'], { timeout: 10_000 });
    // Today: "ptyplex: internal error: TypeError: Cannot read properties of undefined (reading 'length')".
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^frozen\s+-\s+-\s+not responding/m);
    expect(r.stdout).toMatch(/^alive\s+sleep/m);
  }, 30_000);
});
