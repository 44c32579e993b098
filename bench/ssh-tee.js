// Throughput over ssh: `ptyplex tee -H ssh://127.0.0.1:PORT` of a console
// writing 64 MiB, against `ssh 127.0.0.1 cat FILE` of the same bytes (what
// tee delivered, saved), through the same sshd on loopback in the same run.
// Both are timed from the first byte to the last, so ssh's handshake and the
// remote Node's start are not counted in either: what is left is the cost of
// the path console -> server -> dial-stdio -> ssh -> client against ssh alone.
// The same console followed by a plain `tee` here is measured too: the
// share of the cost that is the PTY and the server, not ssh.
// The sshd is this bench's own (its keys and config in a temporary directory,
// as test/helpers/sshd.ts does). Figure: ratio tee / cat of wall time
// (medians of interleaved runs); 1.0 would be ssh's own speed.
//
// node bench/ssh-tee.js [--mib 64] [--reps 3]
// Results also go to bench/out/ssh-tee.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeData } from './data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'ptyplex.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const mib = Number(arg('mib', 64));
const reps = Number(arg('reps', 3));
/** What the console says (through the PTY) before it waits for Enter. */
const READY = 'R\r\n';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-ssh-bench-'));
const data = makeData(mib * 1024 * 1024, 'out.txt');
const sock = path.join(tmp, 'bench.sock');
const { port, sshd, sshCommand } = await startSshd(tmp);
const env = { ...process.env, PTYPLEX_SSH_COMMAND: sshCommand, PTYPLEX_REMOTE_COMMAND: `${process.execPath} ${bin}`, NO_COLOR: '1' };
const host = `ssh://127.0.0.1:${port}`;

try {
  const results = [];
  for (let r = 0; r < reps; r++) {
    const saved = path.join(tmp, `tee-${r}.out`);
    const local = await teeRun(r, path.join(tmp, 'local.out'), []);
    const tee = await teeRun(r, saved, ['-H', host]);
    const cat = await timed([...sshCommand.split(' ').slice(1), '-p', String(port), '127.0.0.1', `cat ${saved}`], sshCommand.split(' ')[0]);
    if (cat.bytes !== tee.bytes) throw new Error(`ssh cat gave ${cat.bytes} bytes, tee ${tee.bytes}`);
    results.push({ teeS: tee.seconds, catS: cat.seconds, localS: local.seconds, bytes: tee.bytes, ratio: tee.seconds / cat.seconds, overLocal: tee.seconds / local.seconds });
    console.log(`run ${r + 1}: ${(tee.bytes / 1048576).toFixed(1)} MiB  tee -H ${tee.seconds.toFixed(2)} s (${mbps(tee)} MB/s)  ssh cat ${cat.seconds.toFixed(2)} s (${mbps(cat)} MB/s)  tee here ${local.seconds.toFixed(2)} s (${mbps(local)} MB/s)  ratio to ssh cat ${(tee.seconds / cat.seconds).toFixed(2)}, to tee here ${(tee.seconds / local.seconds).toFixed(2)}`);
    fs.rmSync(saved, { force: true });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = { mib, reps, ratio: median(results.map((x) => x.ratio)), overLocal: median(results.map((x) => x.overLocal)), teeS: median(results.map((x) => x.teeS)), catS: median(results.map((x) => x.catS)), localS: median(results.map((x) => x.localS)), runs: results };
  console.log(`median ratio tee -H / ssh cat: ${summary.ratio.toFixed(2)}; tee -H / tee here: ${summary.overLocal.toFixed(2)}  (tee -H ${summary.teeS.toFixed(2)} s, ssh cat ${summary.catS.toFixed(2)} s, tee here ${summary.localS.toFixed(2)} s)`);
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'ssh-tee.json'), `${JSON.stringify(summary, null, 2)}\n`);
} finally {
  spawnSync(process.execPath, [bin, 'kill-server', '-S', sock], { env, timeout: 10_000 });
  sshd.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(data.dir, { recursive: true, force: true });
}

function mbps(run) {
  return (run.bytes / 1e6 / run.seconds).toFixed(0);
}

// A fresh session whose console says R and waits for Enter, then cats the
// file; tee -H follows it from the R (held for replay) until the console
// ends, and is timed from the first byte after the R.
async function teeRun(r, saved, hostArgs) {
  const started = spawnSync(process.execPath, [bin, 'run', '-d', '-S', sock, '--names', 'out', `echo R; read go; cat ${data.file}`], { env, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`run -d: ${started.stderr}`);
  try {
    const out = fs.openSync(saved, 'w');
    let following;
    const seen = new Promise((res) => (following = res));
    const run = timed(['tee', ...hostArgs, '-S', sock, 'out'], process.execPath, [bin], out, { skip: READY.length, following });
    await Promise.race([seen, run]);
    spawnSync(process.execPath, [bin, 'send', '-S', sock, '--keys', 'out', 'Enter'], { env });
    const result = await run;
    fs.closeSync(out);
    result.bytes -= READY.length;
    if (result.bytes < data.ptyBytes) throw new Error(`run ${r}: tee gave ${result.bytes} bytes, the console wrote at least ${data.ptyBytes}`);
    return result;
  } finally {
    spawnSync(process.execPath, [bin, 'kill-server', '-S', sock], { env, timeout: 10_000 });
  }
}

// Runs file [pre..., args...]; times from its first stdout byte (after
// `skip` bytes, whose arrival calls `following`) to its end; counts bytes
// and saves those after `skip` to fd `save`.
function timed(args, file, pre = [], save, { skip = 0, following } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...pre, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let first;
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c) => {
      const before = bytes;
      bytes += c.length;
      if (bytes <= skip) {
        if (bytes === skip) following?.();
        return;
      }
      first ??= process.hrtime.bigint();
      if (save !== undefined) fs.writeSync(save, before < skip ? c.subarray(skip - before) : c);
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.once("close", (code) => {
      const end = process.hrtime.bigint();
      if (code !== 0) reject(new Error(`${file} ${args.join(' ')}: status ${code}: ${stderr}`));
      else resolve({ bytes, seconds: Number(end - (first ?? end)) / 1e9 });
    });
  });
}

async function startSshd(dir) {
  for (const tool of ['/usr/sbin/sshd', 'ssh', 'ssh-keygen']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: run scripts/ensure-tools.js`);
  }
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (const k of ['host_key', 'client_key']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, k)]);
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  const port = await new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [`ListenAddress 127.0.0.1`, `Port ${port}`, `HostKey ${dir}/host_key`, `AuthorizedKeysFile ${dir}/authorized_keys`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'PermitRootLogin yes', 'StrictModes no', `PidFile ${dir}/sshd.pid`, 'LogLevel ERROR', ''].join('\n'));
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 200) throw new Error('sshd did not start');
    await new Promise((res) => setTimeout(res, 50));
  }
  const sshCommand = `ssh -F /dev/null -i ${dir}/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o LogLevel=ERROR`;
  return { port, sshd, sshCommand };
}
