// One benchmark run of ptyplex, in its own process so CPU and RSS are ours
// alone. Modes:
//   throughput N FILE   N consoles each `cat FILE`, read through ConsoleReadable
//   idle N SECONDS      N consoles running `sleep`, no output
//   hungup N SECONDS    N consoles whose child closed its side of the PTY
// Prints one JSON line.
import { ConsoleReadable, ConsolePoller, spawn } from '../dist/index.js';
import { cpuNow, idleScript, measureIdle } from './measure.js';

const [mode, nArg, arg] = process.argv.slice(2);
const n = Number(nArg);

if (mode === 'throughput') {
  const poller = new ConsolePoller();
  const t0 = performance.now();
  const cpu0 = cpuNow();
  let bytes = 0;
  const runs = Array.from({ length: n }, () => {
    const child = spawn('cat', [arg], { poller });
    new ConsoleReadable(child.console).on('data', (d) => { bytes += d.length; });
    return child.exited;
  });
  await Promise.all(runs);
  console.log(JSON.stringify({ bytes, wall: (performance.now() - t0) / 1000, cpu: cpuNow() - cpu0 }));
  poller.close();
} else {
  const seconds = Number(arg);
  const poller = new ConsolePoller();
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const script = idleScript(mode);
  const children = Array.from({ length: n }, () => spawn('/bin/sh', ['-c', script], { poller }));
  for (const c of children) new ConsoleReadable(c.console).resume();
  const { cpu, rssPerConsole } = await measureIdle(rss0, n, seconds);
  const hungUp = children.filter((c) => c.console.isHungUp).length;
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  console.log(JSON.stringify({ cpu, rssPerConsole, hungUp }));
  poller.close();
}
