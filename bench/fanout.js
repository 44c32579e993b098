// Fan-out: one console's output to 1, 10 and 50 clients at once, each client
// a process reading its own socket (bench/fanout-client.js), against tmux
// with as many control-mode clients (`tmux -C attach`, which needs no
// terminal) in the same run. Figures, as ratios ptyplex / tmux (medians of
// interleaved runs): total client MB/s (payload bytes all clients got, over
// the wall time from the first byte any client got to the last byte the
// last one got) and the server's CPU seconds per GB delivered (the server
// process only, every thread; not the console's `cat`, not the clients).
// Goal: ahead of tmux on both.
//
// Both consoles run `read go; cat FILE; echo FANOUT-END` on an 80x24 PTY,
// told to go once every client is subscribed; FILE is bench/data.js's text.
//
// Sizes: tmux 3.3a delivers about 10 MB/s in total however many control
// clients there are, with its server's CPU saturated (it parses every
// byte into the pane's screen, then writes it to each client with a printf
// of its own, in pieces of at most 8 KiB), so 50 clients x 64 MiB takes
// it almost five minutes a run (278 s here). By default the file is 64 MiB
// for 1 client, 8 MiB for 10 and 2 MiB for 50 (64 to 100 MiB delivered a
// run), the same for both; ptyplex is then also run alone with 64 MiB for
// every N (the `ptyplex alone` lines), which is where its 4 MiB client
// queue comes into play. --full runs both with 64 MiB throughout (about 20 minutes).
//
// Losses: a ptyplex client that falls a client queue behind holds the
// console briefly, then is cut loose and skips ahead; the clients count
// what they skipped and runs with skips are flagged (they are not
// comparable: that client got less). tmux never drops a control client's
// output unless the client asked for pause-after: it buffers without bound
// and cuts off a client 5 minutes behind (%exit "too far behind"), which
// would show as a client that ended early.
//
// node bench/fanout.js [--quick] [--full] [--clients 1,10,50] [--mib 64,8,2]
//   [--reps 3] [--only ptyplex|tmux] [--verify (count tmux's payload too)]
//   [--profile DIR (V8 CPU profile of the ptyplex server)]
// Results also go to bench/out/fanout.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeData } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const clientJs = path.join(here, 'fanout-client.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const quick = process.argv.includes('--quick');
const full = process.argv.includes('--full');
const reps = Number(arg('reps', quick ? 1 : 3));
const counts = arg('clients', '1,10,50').split(',').map(Number);
const mibList = arg('mib', full ? '64' : '64,8,2').split(',').map(Number);
const mibFor = (i) => mibList[Math.min(i, mibList.length - 1)];
const FULL_MIB = 64;
const only = arg('only', 'ptyplex,tmux').split(',');
const profile = arg('profile', undefined);
// --verify: tmux clients decode and count the payload too (slower clients).
const verify = process.argv.includes('--verify');
const timeoutMs = Number(arg('timeout', full ? 1200 : 300)) * 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds of a process that is not ours, all its threads: the
 * scheduler's nanoseconds (/proc/PID/task/TID/schedstat), finer than the
 * 1/100 s ticks of /proc/PID/stat. Threads that ended are not counted; both
 * servers keep theirs for their whole life.
 */
function cpuOf(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e9;
}

// One data file per size; the payload every client must get: the echoed
// "go", the file with each \n made \r\n by the PTY (ONLCR), the end line.
const files = new Map();
function dataOf(mib) {
  if (!files.has(mib)) {
    const d = makeData(mib << 20, `fanout-${mib}.txt`);
    const bytes = fs.readFileSync(d.file);
    let newlines = 0;
    for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) newlines++;
    const expected = 'go\r\n'.length + bytes.length + newlines + 'FANOUT-END\r\n'.length;
    files.set(mib, { ...d, expected, script: `read go; cat ${d.file}; echo FANOUT-END` });
  }
  return files.get(mib);
}

/**
 * Starts n clients; resolves once each is subscribed, with a promise of
 * their reports and one of their exits.
 */
async function startClients(n, args) {
  const reports = [];
  const readies = [];
  const exits = [];
  const children = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [clientJs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    let ready;
    readies.push(new Promise((r) => (ready = r)));
    // 'close', not 'exit': that may come before the last of its stdout.
    exits.push(new Promise((r) => child.once('close', r)));
    reports.push(new Promise((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c;
        if (out.startsWith('ready\n')) ready();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) resolve(JSON.parse(line));
      });
      child.once('close', (code) => reject(new Error(`client exited ${code} without a report: ${out}`)));
    }));
  }
  const kill = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  await withTimeout(Promise.all(readies), 30000, 'clients to subscribe', kill);
  const exited = () => withTimeout(Promise.all(exits), 5000, 'clients to exit', kill).catch(() => undefined);
  return { reports: Promise.all(reports), kill, exited };
}

function withTimeout(p, ms, what, onTimeout) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`));
      }, ms);
    }),
  ]);
}

/** One measurement: start the server, n clients, go, wait for every report. */
async function measure(n, data, { start, clientArgs, trigger, stop }) {
  const server = start(data);
  let clients;
  try {
    clients = await startClients(n, clientArgs(server, data));
    const cpu0 = cpuOf(server.pid);
    trigger(server);
    const reports = await withTimeout(clients.reports, timeoutMs, `${n} clients to get ${data.expected} bytes`, clients.kill);
    const cpu = cpuOf(server.pid) - cpu0;
    const wall = (Math.max(...reports.map((r) => r.last)) - Math.min(...reports.map((r) => r.first))) / 1000;
    const payload = reports.reduce((s, r) => s + r.payload, 0);
    const skipped = reports.reduce((s, r) => s + r.skipped, 0);
    const clientCpu = reports.reduce((s, r) => s + r.cpu, 0);
    return {
      wall,
      cpu,
      payload,
      mbps: payload / wall / 1e6,
      cpuPerGb: cpu / (payload / 1e9),
      clientCpuPerGb: clientCpu / (payload / 1e9),
      skipped,
      skippers: reports.filter((r) => r.skipped > 0).length,
      skips: reports.flatMap((r) => r.skips ?? []),
      short: reports.filter((r) => r.payload + r.skipped !== data.expected).length,
      early: reports.filter((r) => r.early !== undefined).map((r) => r.early),
    };
  } finally {
    await clients?.exited();
    await stop(server);
  }
}

/** Waits up to ms for process pid to be gone; then kills it. */
async function gone(pid, ms = 3000) {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) {
    if (!fs.existsSync(`/proc/${pid}`)) return;
  }
  process.kill(pid, 'SIGKILL');
}

const ptyplex = {
  start(data) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-fanout-'));
    fs.chmodSync(dir, 0o700);
    const env = { ...process.env, XDG_RUNTIME_DIR: dir };
    const cli = (...args) => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
    // The server runs with the Node flags of the command that starts it.
    const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
    // exec sleep: the console, so the server, stays until its CPU was taken.
    execFileSync(process.execPath, [...flags, bin, 'run', '-d', '--names', 'big', `${data.script}; exec sleep 600`], { env });
    const pid = JSON.parse(cli('ls', '--json')).find((s) => s.name === 'default').pid;
    return { dir, cli, pid, socket: path.join(dir, 'ptyplex', 'default') };
  },
  clientArgs: (s, data) => ['ptyplex', s.socket, 'big', String(data.expected)],
  trigger: (s) => s.cli('send', 'big', '--keys', 'go', 'Enter'),
  async stop(s) {
    try {
      s.cli('kill-server');
    } catch {
      // Killed below.
    }
    await gone(s.pid);
    fs.rmSync(s.dir, { recursive: true, force: true });
  },
};

let tmuxServers = 0;
const tmux = {
  start(data) {
    const name = `ptyplex-fanout-${process.pid}-${tmuxServers++}`;
    const run = (...args) => execFileSync('tmux', ['-L', name, ...args], { encoding: 'utf8' });
    // exec sleep keeps the pane: tmux drops output not yet sent to a control
    // client when its pane closes.
    run('-f', '/dev/null', 'new-session', '-d', '-s', 'fan', '-x', '80', '-y', '24', `${data.script}; exec sleep 600`);
    return { run, name, pid: Number(run('display', '-p', '#{pid}').trim()) };
  },
  clientArgs: (s, data) => ['tmux', s.name, 'fan', String(data.expected), 'FANOUT-END', ...(verify ? ['count'] : [])],
  trigger: (s) => s.run('send-keys', '-t', 'fan', 'go', 'Enter'),
  async stop(s) {
    try {
      s.run('kill-server');
    } catch {
      // Killed below.
    }
    await gone(s.pid);
  },
};

// The ceiling for one client: the same console read in-process by
// ptyplex's reader alone (no server, no socket, no client): what the PTY
// gives on this machine now.
function readAlone(data) {
  const out = execFileSync(process.execPath, [path.join(here, 'reader-ours.js'), 'throughput', '1', data.file], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  return { mbps: r.bytes / r.wall / 1e6, wall: r.wall, cpu: r.cpu };
}

const say = (n, mib, k, r) => process.stderr.write(`  ${n} x ${mib} MiB, ${k}: ${r.mbps.toFixed(0)} MB/s, ${r.cpuPerGb.toFixed(2)} CPU s/GB`
  + ` (${r.wall.toFixed(2)} s, server CPU ${r.cpu.toFixed(2)} s, clients ${r.clientCpuPerGb.toFixed(2)} CPU s/GB`
  + `${r.skipped ? `; ${r.skippers} clients skipped ${r.skipped} bytes` : ''}${r.early.length ? `; ${r.early.length} ended early: ${r.early[0]}` : ''})\n`);

if (!fs.existsSync(path.join(here, '..', 'dist', 'index.js'))) {
  console.error('fanout: build ptyplex first (npm run build)');
  process.exit(2);
}
let tmuxVersion;
try {
  tmuxVersion = execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
} catch {
  console.error('fanout: tmux is needed (scripts/ensure-tools.js installs it)');
  process.exit(2);
}
const results = { reps, tmux: tmuxVersion, cores: os.cpus().length, byClients: {}, ptyplexFull: {} };
try {
  for (const [i, n] of counts.entries()) {
    const mib = mibFor(i);
    const data = dataOf(mib);
    const runs = { mib, expected: data.expected, ptyplex: [], tmux: [] };
    for (let rep = 0; rep < reps; rep++) {
      // Interleaved, so drift in the machine's load hits both alike.
      for (const [k, server] of [['ptyplex', ptyplex], ['tmux', tmux]]) {
        if (!only.includes(k)) continue;
        runs[k].push(await measure(n, data, server));
        say(n, mib, k, runs[k].at(-1));
        await sleep(200);
      }
      if (n === 1 && only.includes('ptyplex')) {
        (runs.alone ??= []).push(readAlone(data));
        process.stderr.write(`  1 x ${mib} MiB, console read alone: ${runs.alone.at(-1).mbps.toFixed(0)} MB/s\n`);
      }
    }
    results.byClients[n] = runs;
  }
  if (only.includes('ptyplex')) {
    for (const [i, n] of counts.entries()) {
      if (mibFor(i) === FULL_MIB) continue;
      const data = dataOf(FULL_MIB);
      const runs = [];
      for (let rep = 0; rep < reps; rep++) {
        runs.push(await measure(n, data, ptyplex));
        say(n, FULL_MIB, 'ptyplex alone', runs.at(-1));
        await sleep(200);
      }
      results.ptyplexFull[n] = { mib: FULL_MIB, expected: data.expected, runs };
    }
  }
} finally {
  for (const d of files.values()) fs.rmSync(d.dir, { recursive: true, force: true });
}
fs.mkdirSync(path.join(here, 'out'), { recursive: true });
fs.writeFileSync(path.join(here, 'out', 'fanout.json'), JSON.stringify(results, null, 2));

const lossOf = (runs) => runs.filter((r) => r.skipped > 0 || r.short > 0 || r.early.length > 0).length;
const med = (runs, f) => median(runs.map((r) => r[f]));
const rows = [];
const notes = [];
for (const n of counts) {
  const runs = results.byClients[n];
  const what = `${n} client${n > 1 ? 's' : ''} x ${runs.mib} MiB`;
  if (runs.ptyplex.length > 0 && runs.tmux.length > 0) {
    const lost = lossOf(runs.ptyplex) + lossOf(runs.tmux);
    const flag = lost > 0 ? ' *' : '';
    const mbps = med(runs.ptyplex, 'mbps') / med(runs.tmux, 'mbps');
    const cpu = med(runs.ptyplex, 'cpuPerGb') / med(runs.tmux, 'cpuPerGb');
    rows.push({ what: `${what}: total MB/s, ptyplex / tmux${flag}`, value: mbps.toFixed(2), goal: '> 1', met: mbps > 1 });
    rows.push({ what: `${what}: server CPU s/GB, ptyplex / tmux${flag}`, value: cpu.toFixed(2), goal: '< 1', met: cpu < 1 });
    if (lost > 0) notes.push(`* ${what}: ${lost} of ${runs.ptyplex.length + runs.tmux.length} runs lost output (skipped, short or ended early): not comparable`);
  }
  // One client against the same console read in-process by the reader
  // alone, in the same run: what the server, the socket and the client cost.
  if (runs.alone !== undefined && runs.ptyplex.length > 0) {
    const alone = med(runs.ptyplex, 'mbps') / med(runs.alone, 'mbps');
    rows.push({ what: `${what}: MB/s, ptyplex / console read alone`, value: alone.toFixed(2), goal: '>= 0.9', met: alone >= 0.9 });
    // The same by CPU, quieter on a shared machine: the reader's CPU per GB
    // over the server's (which reads the same and also sends it), per pair
    // of runs, median. 0.9 would mean the sending costs a ninth of the reading.
    const perPair = runs.ptyplex.map((p, k) => runs.alone[k].cpu / (runs.expected / 1e9) / p.cpuPerGb);
    const byCpu = median(perPair);
    rows.push({ what: `${what}: CPU, console read alone / ptyplex server`, value: byCpu.toFixed(2), goal: '>= 0.9', met: byCpu >= 0.9 });
  }
}
for (const n of Object.keys(results.ptyplexFull)) {
  const { runs, mib } = results.ptyplexFull[n];
  const lost = lossOf(runs);
  rows.push({ what: `${n} clients x ${mib} MiB, ptyplex alone: runs where a client skipped output`, value: `${lost}/${runs.length}`, goal: '0', met: lost === 0 });
}
const w = Math.max(0, ...rows.map((r) => r.what.length));
if (rows.length > 0) {
  console.log(`${'figure'.padEnd(w)}  ratio   goal    met`);
  for (const r of rows) console.log(`${r.what.padEnd(w)}  ${r.value.padEnd(6)}  ${r.goal.padEnd(6)}  ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'}`);
}
console.log(`(medians of ${reps} interleaved runs on ${results.cores} cores; ${results.tmux}; details in bench/out/fanout.json)`);
const figures = (runs) => `${med(runs, 'mbps').toFixed(0)} MB/s, server ${med(runs, 'cpuPerGb').toFixed(2)} CPU s/GB, clients ${med(runs, 'clientCpuPerGb').toFixed(2)} CPU s/GB`;
for (const n of counts) {
  const runs = results.byClients[n];
  const parts = ['ptyplex', 'tmux'].filter((k) => runs[k].length > 0).map((k) => `${k} ${figures(runs[k])}`);
  if (runs.alone !== undefined) parts.push(`console read alone ${med(runs.alone, 'mbps').toFixed(0)} MB/s, ${(med(runs.alone, 'cpu') / (runs.expected / 1e9)).toFixed(2)} CPU s/GB`);
  console.log(`(${n} x ${runs.mib} MiB: ${parts.join('; ')})`);
}
for (const n of Object.keys(results.ptyplexFull)) {
  const { runs, mib } = results.ptyplexFull[n];
  const lost = lossOf(runs);
  const skipped = runs.map((r) => (r.skipped > 0 ? `${r.skippers} clients skipped ${(r.skipped / 2 ** 20).toFixed(1)} MiB` : 'no skips'));
  console.log(`(ptyplex alone, ${n} x ${mib} MiB: ${figures(runs)}; ${lost > 0 ? `${lost} of ${runs.length} runs lost output: ` : ''}${skipped.join(', ')})`);
}
for (const line of notes) console.log(`(${line})`);
