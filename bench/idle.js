// Idle cost: the CPU a session server spends while nothing happens, against
// a tmux server holding the same number of idle windows, measured side by
// side in the same windows of time. Two cases: one session with one `sleep`
// console (tmux: one window running `sleep`), and one session with 200
// hung-up adopted consoles (real PTYs handed over a console socket, whose
// slave was opened once and closed; tmux: 200 windows running `sleep`).
// Figure: the server's clock ticks (utime + stime in /proc/PID/stat, every
// thread; 1 tick = 0.01 s) over each window, median of the reps. Goal: at
// most one tick over 20 s, as tmux.
//
// node bench/idle.js [--seconds 20] [--reps 5] [--consoles 200]
// Results also go to bench/out/idle.json.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const native = createRequire(import.meta.url)('../build/Release/ptyplex.node');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('seconds', 20);
const reps = arg('reps', 5);
const many = arg('consoles', 200);

const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-idle-bench-'));
fs.chmodSync(runtime, 0o700);
const env = { ...process.env, XDG_RUNTIME_DIR: runtime };
delete env.PTYPLEX_SOCKET;
const tmuxName = `ptyplex-idle-bench-${process.pid}`;

const ptyplex = (args) => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
const tmux = (args) => execFileSync('tmux', ['-L', tmuxName, '-f', '/dev/null', ...args], { encoding: 'utf8' });

function ticks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(f[11]) + Number(f[12]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Hands a PTY master whose slave was opened and closed (hung up) to sock.
async function handOverHungUp(sock) {
  const master = native.openPt();
  native.close(fs.openSync(native.ptsName(master), fs.constants.O_RDWR | fs.constants.O_NOCTTY));
  const conn = net.connect(sock);
  await new Promise((resolve, reject) => conn.once('connect', resolve).once('error', reject));
  const payload = Buffer.from('{}');
  native.sendFds(conn._handle.fd, payload, 0, payload.length, Int32Array.from([master]));
  conn.destroy();
  native.close(master);
}

async function startPtyplex(name, consoles) {
  if (consoles === 1) {
    ptyplex(['run', '-d', '-L', name, '--names', 'idle', 'sleep 100000']);
  } else {
    const sock = path.join(runtime, `${name}.sock`);
    ptyplex(['run', '-d', '-L', name, '--adopt', `box=${sock}`]);
    for (let i = 0; i < consoles; i++) await handOverHungUp(sock);
    for (;;) {
      const info = JSON.parse(ptyplex(['ls', '--json'])).find((s) => s.name === name);
      if (info.consoles.length === consoles && info.consoles.every((c) => c.state === 'hung up')) break;
      await sleep(100);
    }
  }
  return JSON.parse(ptyplex(['ls', '--json'])).find((s) => s.name === name).pid;
}

function startTmux(windows) {
  tmux(['new-session', '-d', '-s', 'idle', 'sleep 100000']);
  for (let i = 1; i < windows; i++) tmux(['new-window', '-d', '-t', 'idle', 'sleep 100000']);
  return Number(tmux(['display-message', '-p', '-t', 'idle', '#{pid}']).trim());
}

async function measure(consoles) {
  const name = `idle-${consoles}`;
  const ours = await startPtyplex(name, consoles);
  const theirs = startTmux(consoles);
  await sleep(2000); // start-up settles
  const rows = [];
  for (let r = 0; r < reps; r++) {
    const a = ticks(ours);
    const b = ticks(theirs);
    await sleep(seconds * 1000);
    rows.push({ ptyplex: ticks(ours) - a, tmux: ticks(theirs) - b });
    console.log(`  ${consoles} console(s), window ${r + 1}/${reps}: ptyplex ${rows.at(-1).ptyplex} ticks, tmux ${rows.at(-1).tmux} ticks over ${seconds} s`);
  }
  spawnSync(process.execPath, [bin, 'kill-server', '-L', name], { env });
  spawnSync('tmux', ['-L', tmuxName, 'kill-server']);
  const p = median(rows.map((x) => x.ptyplex));
  const t = median(rows.map((x) => x.tmux));
  return { consoles, seconds, reps, ptyplexTicks: p, tmuxTicks: t, ratio: t === 0 ? (p === 0 ? 1 : null) : p / t, rows };
}

try {
  console.log(`idle cost: server clock ticks (0.01 s) over ${seconds} s, median of ${reps}`);
  const results = [];
  for (const n of [1, many]) {
    const r = await measure(n);
    results.push(r);
    const ratio = r.ratio === null ? `+${r.ptyplexTicks} ticks (tmux 0)` : r.ratio.toFixed(2);
    console.log(`${n} idle console(s): ptyplex ${r.ptyplexTicks} ticks, tmux ${r.tmuxTicks} ticks; ratio ptyplex/tmux ${ratio}`);
  }
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'idle.json'), JSON.stringify(results, null, 2));
} finally {
  spawnSync('tmux', ['-L', tmuxName, 'kill-server']);
  fs.rmSync(runtime, { recursive: true, force: true });
}
