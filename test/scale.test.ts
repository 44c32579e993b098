// Many consoles in one session cost what the kernel makes them cost: an idle
// console holds no replay buffer, no read buffer and no stream buffer of its
// own until output arrives. The exact figures are in bench/scale.js; this
// is the wide-margin check that fails when per-console memory comes back.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RingBuffer } from '../src/session/ring-buffer.js';
import { testSessions, type TestSessions } from './helpers/session.js';

let s: TestSessions;
afterEach(() => s?.cleanup());

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** The server's RSS once `count` idle consoles have started. */
function serverRss(name: string, count: number): number {
  const r = s.cli(['run', '-d', '-L', name, ...Array.from({ length: count }, () => 'sleep 120')], { timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const info = s.describe(name);
  expect(info.consoles).toHaveLength(count);
  const rss = rssKiB(info.pid);
  s.cli(['kill-server', '-L', name], { timeout: 60_000 });
  return rss;
}

describe('scale', () => {
  // Measured on the 2-core machine: about 11 KiB (9 KiB of it live JS
  // objects), 21 KiB once on a machine busy with other test runs; 44 KiB with node-pty's wait thread per child and V8's
  // default 16 MiB semispaces, 93 KiB before rings grew lazily, 165 KiB
  // with every ring allocated whole.
  it('18 1,000 idle consoles: the server grows by under 24 KiB per console (was 93 KiB; bench/scale.js has the figure)', () => {
    s = testSessions();
    const one = serverRss('one', 1);
    const many = serverRss('many', 1000);
    const perConsole = (many - one) / 999;
    expect(perConsole).toBeGreaterThan(0);
    expect(perConsole).toBeLessThan(24);
  }, 240_000);

  it('18 a replay ring that grows as output arrives holds exactly the last bytes, before and after it fills', () => {
    // A seeded generator: the same chunk sizes every run.
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (const capacity of [1, 10, 4095, 4097, 70_000]) {
      const ring = new RingBuffer(capacity);
      let all = Buffer.alloc(0);
      for (let i = 0; i < 200; i++) {
        // Small chunks first (the ring grows while holding bytes), then
        // now and then one larger than the whole ring.
        const chunk = Buffer.alloc(next(i < 100 ? 700 : i % 10 === 0 ? 100_000 : 3000), (i % 255) + 1);
        ring.write(chunk);
        all = Buffer.concat([all, chunk]).subarray(-capacity - 1);
        const total = ring.end;
        expect(ring.start).toBe(Math.max(0, total - capacity));
        const from = total - next(capacity + 2);
        const want = all.subarray(Math.max(0, all.length - (total - Math.max(from, ring.start))));
        expect(ring.since(from).equals(want)).toBe(true);
      }
    }
  });
});
