// A real OpenSSH server on 127.0.0.1 for the -H tests: its own host key,
// one client key in authorized_keys, a free port, everything in a temporary
// directory that stop() removes. The client side is PTYPLEX_SSH_COMMAND
// (this key, a private known_hosts, never the user's ~/.ssh) and
// PTYPLEX_REMOTE_COMMAND (this worktree's ptyplex under this Node), so the
// "remote" ptyplex is the one under test. Missing sshd or ssh-keygen fails
// loudly: tests never skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './cli.js';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  readonly port: number;
  readonly dir: string;
  /** Client environment: reaches this sshd with the test key; the remote ptyplex is this checkout's. */
  readonly env: Record<string, string>;
  /** ssh://127.0.0.1:PORT */
  readonly url: string;
  /** Another name for the same server: ssh://localhost:PORT */
  readonly url2: string;
  /** The ssh command line the env uses (for a baseline `ssh host cat FILE`). */
  readonly sshCommand: string;
  stop(): void;
}

function need(file: string): void {
  if (spawnSync('sh', ['-c', `command -v ${file}`]).status !== 0) {
    throw new Error(`${file} is missing: run scripts/ensure-tools.js (installs openssh-server and openssh-client)`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

/** Starts sshd and waits until it accepts connections. */
export async function startSshd(): Promise<Sshd> {
  need(SSHD);
  need('ssh');
  need('ssh-keygen');
  // sshd refuses to start without its privilege-separation directory.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-sshd-'));
  fs.chmodSync(dir, 0o700);
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'client_key'));
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'PermitRootLogin yes',
      'StrictModes no',
      `PidFile ${dir}/sshd.pid`,
      'MaxStartups 50:30:100',
      'MaxSessions 50',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const sshCommand = `ssh -F /dev/null -i ${dir}/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o LogLevel=ERROR`;
  const env = {
    PTYPLEX_SSH_COMMAND: sshCommand,
    // The login shell's PATH may not hold this Node: both by absolute path.
    PTYPLEX_REMOTE_COMMAND: `${process.execPath} ${BIN}`,
  };
  return {
    port,
    dir,
    env,
    url: `ssh://127.0.0.1:${port}`,
    url2: `ssh://localhost:${port}`,
    sshCommand,
    stop() {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
