// The same runs as reader-ours.js, with node-pty alone (its onData, Buffers,
// no decoding): the baseline a user would otherwise reach for.
import { createRequire } from 'node:module';
import { cpuNow, idleScript, measureIdle } from './measure.js';

const pty = createRequire(import.meta.url)('node-pty');
const [mode, nArg, arg] = process.argv.slice(2);
const n = Number(nArg);

if (mode === 'throughput') {
  const t0 = performance.now();
  const cpu0 = cpuNow();
  let bytes = 0;
  const runs = Array.from({ length: n }, () => new Promise((resolve) => {
    const p = pty.spawn('cat', [arg], { encoding: null, cols: 80, rows: 24 });
    p.onData((d) => { bytes += d.length; });
    p.onExit(resolve);
  }));
  await Promise.all(runs);
  console.log(JSON.stringify({ bytes, wall: (performance.now() - t0) / 1000, cpu: cpuNow() - cpu0 }));
} else {
  const seconds = Number(arg);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const script = idleScript(mode);
  const exits = [];
  const children = Array.from({ length: n }, () => {
    const p = pty.spawn('/bin/sh', ['-c', script], { encoding: null });
    p.onData(() => undefined);
    exits.push(new Promise((r) => p.onExit(r)));
    return p;
  });
  const { cpu, rssPerConsole } = await measureIdle(rss0, n, seconds);
  for (const p of children) p.kill('SIGKILL');
  await Promise.all(exits);
  console.log(JSON.stringify({ cpu, rssPerConsole }));
}
