// A page watching a flood (issue 15): one console prints `seq 1 N` (50 MiB
// by default) to its log, alone and then with a browser page watching it
// through `ptyplex web`, interleaved. Figure: the watched run's wall time
// over the lone run's (median of the pairs). Goal: at most 1.10.
//
// Also measured, per run, the CPU seconds (utime + stime from /proc) of
// each process on the way: the session server, the `ptyplex web` gateway,
// chromium (every process of it: browser, renderer, GPU, utility), and the
// console's seq (from its shell's `times`, before and after). On a
// 2-core machine every CPU second the watching costs is taken from seq.
//
// The browser is Debian's chromium driven by playwright-core with the
// flags the tests use (headless, no GPU): what a user's browser does is
// theirs; what is measured here is what the gateway and the page make it do.
//
// The lone runs have the same page open on the session's console list
// (which asks the server for \`ls\` once a second, as it does in the watched
// runs too); the watched ones have it on the console's terminal.
//
// node bench/web-watch.js [--reps 5] [--lines 6000000] [--quick] [--profile]
// Results also go to bench/out/web-watch.json.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const CHROMIUM = '/usr/bin/chromium';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const quick = process.argv.includes('--quick');
const reps = Number(arg('reps', quick ? 2 : 5));
const lines = Number(arg('lines', 6_000_000));
// --profile: a V8 CPU profile of the page during the watched runs, its top functions printed.
const profile = process.argv.includes('--profile');
const TICK = 100; // USER_HZ on Linux

if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`web-watch: ${CHROMIUM} is missing: run node scripts/ensure-tools.js\n`);
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-webbench-'));
const runtime = path.join(dir, 'xdg');
fs.mkdirSync(runtime, { mode: 0o700 });
const env = { ...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: '1' };
delete env.PTYPLEX_SOCKET;
const cli = (args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of one process, in seconds (0 once it is gone). */
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** A process and all its descendants. */
function tree(root) {
  const children = new Map();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {
      // gone
    }
  }
  const all = [];
  const walk = (pid) => {
    all.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return all;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function until(check, what, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`web-watch: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const names = [];
for (let i = 0; i < reps * 2; i++) names.push(`w${i}`);
// Each console waits for its go file, then prints; `times` gives the CPU of the shell and of seq.
const cmd = (i) =>
  `while [ ! -e ${dir}/go${i} ]; do sleep 0.02; done; times > ${dir}/times0-${i}; s=$(date +%s%N); seq 1 ${lines}; e=$(date +%s%N); times > ${dir}/times${i}; echo $((e-s)) > ${dir}/took${i}`;

let gateway;
let browser;
const results = [];
try {
  const r = cli(['run', '-d', '-L', 'wbench', '--log-dir', path.join(dir, 'logs'), '--names', names.join(','), ...names.map((_, i) => cmd(i))]);
  if (r.status !== 0) throw new Error(`web-watch: run -d failed: ${r.stderr}`);
  const info = JSON.parse(cli(['ls', '--json']).stdout).find((s) => s.name === 'wbench');
  const serverPid = info.server.pid;
  gateway = spawn(process.execPath, [bin, 'web', '-L', 'wbench', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gateway.stdout.on('data', (d) => (out += d));
  const url = await until(() => out.split('\n')[0].match(/^http:\/\/\S+#token=\S+$/)?.[0], 'the gateway URL', 15_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  // Counts the output bytes the page's terminals are sent (what it has to draw).
  await page.addInitScript(() => {
    window.__outputBytes = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (ev) => {
          if (typeof ev.data !== 'string') window.__outputBytes += ev.data.byteLength ?? ev.data.size;
        });
      }
    };
  });
  await page.goto(url);
  await page.locator('#consoles tr[data-console="w0"]').waitFor({ timeout: 15_000 });
  const browserPid = findChromium();
  const cdp = await page.context().newCDPSession(page);
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  }

  const sample = async () => ({
    pageBytes: await page.evaluate(() => window.__outputBytes),
    server: cpuOf(serverPid),
    gateway: cpuOf(gateway.pid),
    ...chromiumCpu(browserPid),
    at: performance.now(),
  });
  const once = async (i, watched) => {
    if (watched) {
      await page.locator(`#consoles tr[data-console="w${i}"]`).click();
      await page.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
    }
    await sleep(300);
    if (profile && watched) await cdp.send('Profiler.start');
    const before = await sample();
    fs.writeFileSync(path.join(dir, `go${i}`), '');
    const took = await until(() => fs.existsSync(path.join(dir, `took${i}`)) && fs.readFileSync(path.join(dir, `took${i}`), 'utf8').trim(), `w${i} to finish`, 120_000);
    const during = await sample();
    // What the page still draws after the console ended is the watching's cost too.
    if (watched) await page.locator('#term-status', { hasText: 'ended' }).waitFor({ timeout: 30_000 });
    await sleep(300);
    const after = await sample();
    if (profile && watched) topFunctions((await cdp.send('Profiler.stop')).profile);
    // The children's CPU (seq, and the two dates) from the shell's `times`, before and after.
    const childCpu = (f) => {
      const m = fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n')[1]?.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
      return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
    };
    const seqCpu = childCpu(`times${i}`) - childCpu(`times0-${i}`);
    const res = {
      watched,
      ms: Number(took) / 1e6,
      server: after.server - before.server,
      gateway: after.gateway - before.gateway,
      chromium: after.chromium - before.chromium,
      chromiumDuring: during.chromium - before.chromium,
      gatewayDuring: during.gateway - before.gateway,
      renderer: after.renderer - before.renderer,
      gpu: after.gpu - before.gpu,
      seq: seqCpu,
      pageBytes: after.pageBytes - before.pageBytes,
      load: os.loadavg()[0],
    };
    if (watched) {
      await page.locator('#back').click();
      await page.locator('#consoles').waitFor();
    }
    return res;
  };
  for (let k = 0; k < reps; k++) {
    // Alternate which comes first, so a trend in the machine's load favours neither.
    const order = k % 2 ? [true, false] : [false, true];
    for (const watched of order) {
      const i = 2 * k + (watched ? 1 : 0);
      const res = await once(i, watched);
      results.push(res);
      process.stdout.write(
        `${watched ? 'watched' : 'alone  '} ${res.ms.toFixed(0).padStart(5)} ms  CPU s: seq ${res.seq.toFixed(2)}  server ${res.server.toFixed(2)}  gateway ${res.gateway.toFixed(2)}  chromium ${res.chromium.toFixed(2)} (during the run ${res.chromiumDuring.toFixed(2)}; renderer ${res.renderer.toFixed(2)}, gpu ${res.gpu.toFixed(2)})  page sent ${(res.pageBytes / 1024).toFixed(0)} KiB  (load ${res.load.toFixed(2)})\n`,
      );
    }
  }
  const alone = results.filter((r) => !r.watched);
  const watched = results.filter((r) => r.watched);
  const ratios = alone.map((a, k) => watched[k].ms / a.ms);
  const m = (rs, key) => median(rs.map((r) => r[key]));
  process.stdout.write(
    `\n${(lines / 1e6).toFixed(1)}M lines (${((lines * 8.2) / 2 ** 20).toFixed(0)} MiB), ${reps} pairs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
      `median wall: alone ${m(alone, 'ms').toFixed(0)} ms, watched ${m(watched, 'ms').toFixed(0)} ms\n` +
      `median CPU s, alone / watched: server ${m(alone, 'server').toFixed(2)} / ${m(watched, 'server').toFixed(2)}, gateway ${m(alone, 'gateway').toFixed(2)} / ${m(watched, 'gateway').toFixed(2)}, chromium ${m(alone, 'chromium').toFixed(2)} / ${m(watched, 'chromium').toFixed(2)}, seq ${m(alone, 'seq').toFixed(2)} / ${m(watched, 'seq').toFixed(2)}\n` +
      `watched / alone (median of ${reps} pairs): ${median(ratios).toFixed(2)}  [${ratios.map((r) => r.toFixed(2)).join(' ')}]  goal <= 1.10\n`,
  );
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'web-watch.json'), JSON.stringify({ lines, reps, results, ratio: median(ratios) }, null, 2));
} finally {
  await browser?.close().catch(() => {});
  gateway?.kill('SIGTERM');
  cli(['kill-server', '-L', 'wbench']);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Prints the functions the page spent most of its time in (self time). */
function topFunctions(p) {
  const self = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dts = p.timeDeltas;
  p.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dts[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stdout.write(`  page profile (${total.toFixed(0)} ms sampled, ${(self.get('(idle) :-1') ?? 0).toFixed(0)} idle):\n`);
  for (const [k, ms] of top) process.stdout.write(`    ${ms.toFixed(1).padStart(7)} ms  ${k}\n`);
}

/** CPU of chromium's processes: in all, its renderers, its GPU process. */
function chromiumCpu(root) {
  const cpu = { chromium: 0, renderer: 0, gpu: 0 };
  for (const p of tree(root)) {
    const c = cpuOf(p);
    cpu.chromium += c;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      // gone
    }
    if (cmdline.includes('--type=renderer')) cpu.renderer += c;
    if (cmdline.includes('--type=gpu-process')) cpu.gpu += c;
  }
  return cpu;
}

// The browser's own process: the first chromium under this one (its tree holds the renderers).
function findChromium() {
  const mine = tree(process.pid);
  for (const p of mine) {
    try {
      if (fs.readlinkSync(`/proc/${p}/exe`).includes('chromium')) return p;
    } catch {
      // gone
    }
  }
  throw new Error('web-watch: cannot find the chromium process');
}
