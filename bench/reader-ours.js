// One benchmark run of ptyplex, in its own process so CPU and RSS are ours
// alone. Modes:
//   throughput N FILE   N consoles each `cat FILE`, read through ConsoleReadable
//   idle N SECONDS      N consoles running `sleep`, no output
//   hungup N SECONDS    N consoles whose child closed its side of the PTY
// Prints one JSON line.
import { ConsoleReadable, ConsolePoller, spawn } from '../dist/index.js';

const [mode, nArg, arg] = process.argv.slice(2);
const n = Number(nArg);
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

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
  // hungup: the child closes every fd on the slave but lives on, so the
  // master reports hang-up while the console is still running.
  const script = mode === 'hungup' ? 'exec sleep 600 <&- >&- 2>&-' : 'exec sleep 600';
  const children = Array.from({ length: n }, () => spawn('/bin/sh', ['-c', script], { poller }));
  for (const c of children) new ConsoleReadable(c.console).resume();
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const cpu0 = cpuNow();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuNow() - cpu0;
  const hungUp = children.filter((c) => c.console.isHungUp).length;
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  console.log(JSON.stringify({ cpu, rssPerConsole: (rss1 - rss0) / n, hungUp }));
  poller.close();
}
