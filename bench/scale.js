#!/usr/bin/env node
// Many consoles in one session, against tmux holding as many windows, both
// measured in this run. For N idle `sleep` consoles (default 1000; the
// issue's 3000 with --n 3000):
//   - server RSS per console beyond the first (KiB), and its ratio to tmux's;
//   - start: one `ptyplex run -d` of N consoles, against tmux creating N
//     windows from one command file (`tmux source-file`), wall seconds;
//   - `new` of one more console in the N-console session against in a
//     1-console one (ratio; goal <= 1.5);
//   - `ls` of N consoles against `ls` of one (ratio; goal <= 1.5), and
//     tmux's `list-windows` for scale;
//   - `send` then `expect` on one console of N against one of 1 (ratio);
//   - idle: server clock ticks over 20 s with N idle consoles (goal <= 1),
//     in the second of two windows after the timed commands.
// ptyplex is measured first, then tmux (both at once would need 2N PTYs).
// Timed commands are medians of --reps (default 5), interleaved.
//
//   node bench/scale.js [--n 3000] [--reps 5] [--idle 20]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ptyplex.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', '3000'));
const REPS = Number(arg('reps', '5'));
const IDLE_S = Number(arg('idle', '20'));
const TICK = 100; // USER_HZ on Linux

const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-scale-'));
fs.chmodSync(runtime, 0o700);
const env = { ...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: '1' };
delete env.PTYPLEX_SOCKET;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};

function ptyplex(args, { check = true } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 600_000, maxBuffer: 256 << 20 });
  if (check && r.status !== 0) throw new Error(`ptyplex ${args.slice(0, 3).join(' ')}: status ${r.status}: ${r.stderr}`);
  return r;
}
const serverPid = (name) => JSON.parse(ptyplex(['ls', '--json', '-L', name]).stdout)[0].pid;

const ours = {
  start(name, n) {
    return seconds(() => ptyplex(['run', '-d', '-L', name, ...Array.from({ length: n }, () => 'sleep 900')]));
  },
  stop(name) {
    ptyplex(['kill-server', '-L', name], { check: false });
  },
};

const tmux = {
  start(name, n) {
    // One command file: one tmux client process for all N windows, as the
    // fairest match of one `run -d`.
    const file = path.join(runtime, `${name}.tmux`);
    fs.writeFileSync(file, Array.from({ length: n - 1 }, () => 'new-window -d "sleep 900"\n').join(''));
    return seconds(() => {
      execFileSync('tmux', ['-L', name, '-f', '/dev/null', 'new-session', '-d', '-x', '80', '-y', '24', 'sleep 900']);
      if (n > 1) execFileSync('tmux', ['-L', name, 'source-file', file]);
    });
  },
  pid(name) {
    return Number(execFileSync('tmux', ['-L', name, 'display-message', '-p', '#{pid}'], { encoding: 'utf8' }).trim());
  },
  stop(name) {
    spawnSync('tmux', ['-L', name, 'kill-server']);
  },
};

// Each server is measured after its consoles have settled for 2 s.
async function settle() {
  await new Promise((r) => setTimeout(r, 2000));
}

async function idleTicks(pid) {
  const t0 = ticks(pid);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  return ticks(pid) - t0;
}

const result = { n: N, reps: REPS, cores: os.cpus().length, tmux: execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim() };

// One server at a time: N PTYs each, and kernel.pty.max (4096 here) does
// not hold 2 x 3000. Each is measured after its consoles settled.
const startOne = { ptyplex: ours.start('p1', 1) };
const startN = { ptyplex: ours.start('pn', N) };
await settle();
const rss = { ptyplex: (rssKiB(serverPid('pn')) - rssKiB(serverPid('p1'))) / (N - 1) };

// Control commands on the large session against the small one, interleaved.
const times = { newBig: [], newSmall: [], lsBig: [], lsSmall: [], sendBig: [], sendSmall: [], tmuxLsBig: [] };
ptyplex(['new', '-L', 'pn', 'echo', '--', 'cat']);
ptyplex(['new', '-L', 'p1', 'echo', '--', 'cat']);
for (let i = 0; i < REPS; i++) {
  times.newBig.push(seconds(() => ptyplex(['new', '-L', 'pn', `extra-${i}`, '--', 'sleep 900'])));
  times.newSmall.push(seconds(() => ptyplex(['new', '-L', 'p1', `extra-${i}`, '--', 'sleep 900'])));
  times.lsBig.push(seconds(() => ptyplex(['ls', '-L', 'pn'])));
  times.lsSmall.push(seconds(() => ptyplex(['ls', '-L', 'p1'])));
  for (const [key, name] of [['sendBig', 'pn'], ['sendSmall', 'p1']]) {
    times[key].push(seconds(() => {
      ptyplex(['send', '-L', name, 'echo', `mark-${i}`, '--keys', 'Enter']);
      ptyplex(['expect', '-L', name, 'echo', `mark-${i}\\r?\\n.*mark-${i}`, '--timeout', '30s']);
    }));
  }
}
// Two windows back to back: the first still holds what the timed commands
// left behind (V8 finishes its collections some seconds after a burst), the
// second is the steady state the goal is about.
const pnPid = serverPid('pn');
const idleOursAfter = await idleTicks(pnPid);
const idleOurs = await idleTicks(pnPid);
for (const name of ['p1', 'pn']) ours.stop(name);
await settle();

// tmux holding as many windows, measured the same way.
startOne.tmux = tmux.start('t1', 1);
startN.tmux = tmux.start('tn', N);
await settle();
rss.tmux = (rssKiB(tmux.pid('tn')) - rssKiB(tmux.pid('t1'))) / (N - 1);
for (let i = 0; i < REPS; i++) times.tmuxLsBig.push(seconds(() => execFileSync('tmux', ['-L', 'tn', 'list-windows'])));
const idleTmuxAfter = await idleTicks(tmux.pid('tn'));
const idleTmux = await idleTicks(tmux.pid('tn'));
for (const name of ['t1', 'tn']) tmux.stop(name);
fs.rmSync(runtime, { recursive: true, force: true });
const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));

const r2 = (x) => Math.round(x * 100) / 100;
Object.assign(result, {
  rssPerConsoleKiB: { ptyplex: r2(rss.ptyplex), tmux: r2(rss.tmux), ratio: r2(rss.ptyplex / rss.tmux) },
  startSeconds: { ptyplex: r2(startN.ptyplex), tmux: r2(startN.tmux), ratio: r2(startN.ptyplex / startN.tmux), ptyplexOne: r2(startOne.ptyplex) },
  newRatio: r2(med.newBig / med.newSmall),
  lsRatio: r2(med.lsBig / med.lsSmall),
  lsSeconds: { ptyplex: r2(med.lsBig), tmuxListWindows: r2(med.tmuxLsBig) },
  sendExpectRatio: r2(med.sendBig / med.sendSmall),
  idleTicks: { seconds: IDLE_S, ptyplex: idleOurs, tmux: idleTmux, firstWindow: { ptyplex: idleOursAfter, tmux: idleTmuxAfter }, tickSeconds: 1 / TICK },
});
console.log(JSON.stringify(result, null, 2));
console.log(`scale, ${N} idle consoles, ptyplex against tmux (${result.tmux}) in the same run:
  RSS per console     ${result.rssPerConsoleKiB.ptyplex} KiB vs ${result.rssPerConsoleKiB.tmux} KiB  (ratio ${result.rssPerConsoleKiB.ratio})
  start N             ${result.startSeconds.ptyplex} s vs ${result.startSeconds.tmux} s  (ratio ${result.startSeconds.ratio})
  new in N vs in 1    ratio ${result.newRatio}  (goal <= 1.5)
  ls of N vs of 1     ratio ${result.lsRatio}  (goal <= 1.5)
  send+expect N vs 1  ratio ${result.sendExpectRatio}  (goal <= 1.5)
  idle ticks / ${IDLE_S} s  ${idleOurs} vs tmux ${idleTmux}  (goal <= 1; the window right after the commands: ${idleOursAfter} vs ${idleTmuxAfter})`);
