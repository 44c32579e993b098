// Review 2 of 13: each readiness attempt is cut after max(interval, 1 s)
// and counted failed. A probe that always succeeds but takes longer than
// that (a health check on a loaded 2-core box) can then never pass: the
// console is "not ready" and its dependents never start.
import { afterEach, expect, it } from 'vitest';
import { Session } from '../src/session/session.js';
import { whenReady } from '../src/session/readiness.js';

let s: Session | undefined;
afterEach(() => {
  s?.kill();
  s = undefined;
});

it('13 (review 2) a probe that succeeds in 1.3 s passes under the default 1 s interval', async () => {
  s = new Session();
  const c = s.start({ name: 'a', cmd: 'sleep 30' }, [], { cols: 80, rows: 24 });
  expect(await whenReady(c, { exec: 'sleep 1.3; exit 0', interval: 1000, timeout: 6000 })).toBe('ready');
}, 10_000);
