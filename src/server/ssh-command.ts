// How ptyplex runs ssh, and how it reads ssh's end. The system ssh is used
// as it is (the user's ~/.ssh/config, agent, keys and known_hosts apply;
// ptyplex stores no credentials): `ssh -T -o BatchMode=yes [-p PORT]
// [-l USER] -- HOST 'ptyplex' 'dial-stdio' ...`. PTYPLEX_SSH_COMMAND
// replaces `ssh` (run through sh -c, as git runs GIT_SSH_COMMAND, so it
// may carry options: "ssh -i KEY -o ..."); PTYPLEX_REMOTE_COMMAND replaces
// the remote `ptyplex` (a path, or `npx ptyplex`). Each argument after it is
// single-quoted: the remote side runs the line through the user's login
// shell, and a session name must not become a command.
import os from 'node:os';
import type { SshHost } from './ssh-host.js';

/**
 * How long a host may take to answer, unless PTYPLEX_SSH_TIMEOUT says
 * otherwise. Here, with the settings, not in ssh-dial.ts: reading it must
 * not load the dialer (and child_process) into every local command.
 */
export const SSH_DEADLINE_MS = 8000;

export interface SshSettings {
  /** PTYPLEX_SSH_COMMAND: a shell command line that stands for `ssh`. */
  readonly sshCommand?: string | undefined;
  /** PTYPLEX_REMOTE_COMMAND: what runs ptyplex on the other machine (shell text, not quoted). */
  readonly remoteCommand?: string | undefined;
}

export function sshSettingsFrom(env: NodeJS.ProcessEnv = process.env): SshSettings {
  return { sshCommand: env.PTYPLEX_SSH_COMMAND || undefined, remoteCommand: env.PTYPLEX_REMOTE_COMMAND || undefined };
}

export interface SshInvocation {
  readonly file: string;
  readonly args: string[];
}

/** The process to spawn to run `ptyplex REMOTEARGS...` on host. */
export function sshInvocation(host: SshHost, remoteArgs: readonly string[], settings: SshSettings): SshInvocation {
  const remote = [settings.remoteCommand ?? 'ptyplex', ...remoteArgs.map(shellQuote)].join(' ');
  // BatchMode: ssh must never prompt (a password, a passphrase, a new host
  // key): an attached terminal is ours, in raw mode, and scripts have none.
  // `--`: neither the host nor the remote command can be read as an option.
  const args = [
    '-T',
    '-o',
    'BatchMode=yes',
    ...(host.port !== undefined ? ['-p', String(host.port)] : []),
    ...(host.user !== undefined ? ['-l', host.user] : []),
    '--',
    host.host,
    remote,
  ];
  if (settings.sshCommand === undefined) return { file: 'ssh', args };
  return { file: '/bin/sh', args: ['-c', `${settings.sshCommand} "$@"`, 'ptyplex-ssh', ...args] };
}

/** One word for a POSIX shell: as is when plainly safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-./=:,+@%]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** How an ssh process ended: its status or signal, the tail of its stderr, or why it never ran. */
export interface SshEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly spawnError?: NodeJS.ErrnoException | undefined;
}

/**
 * Why ssh (or the ptyplex behind it) failed, as one line naming the host;
 * undefined when it ended cleanly and said nothing.
 */
export function sshFailure(host: SshHost, end: SshEnd, settings: SshSettings): string | undefined {
  const on = host.label;
  const lines = end.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1];
  const sshWord = firstWord(settings.sshCommand ?? 'ssh');
  if (end.spawnError !== undefined) {
    const why = end.spawnError.code === 'ENOENT' ? 'not found' : (end.spawnError.code ?? end.spawnError.message);
    return `${on}: cannot run ${sshWord}: ${why} (install OpenSSH's client, or set PTYPLEX_SSH_COMMAND)`;
  }
  if (end.signal !== null) return `${on}: lost the connection (ssh was killed by ${end.signal})`;
  if (end.code === 255) {
    const denied = lines.find((l) => /permission denied/i.test(l));
    if (denied !== undefined) return `${on}: ssh authentication failed (${denied}); ptyplex uses your ssh keys, agent and config, and never asks for a password`;
    return `${on}: ssh failed: ${last ?? 'status 255'}`;
  }
  if (end.code === 127 || end.code === 126) {
    const remoteWord = firstWord(settings.remoteCommand ?? 'ptyplex');
    // Through PTYPLEX_SSH_COMMAND, a missing ssh is sh's 127 too: tell them apart by whom sh names.
    if (last !== undefined && settings.sshCommand !== undefined && last.includes(sshWord) && !last.includes(remoteWord)) {
      return `${on}: cannot run ${sshWord}: ${last} (check PTYPLEX_SSH_COMMAND)`;
    }
    return `${on}: no ptyplex there (${last ?? `status ${end.code}`}); install it on that host, or set PTYPLEX_REMOTE_COMMAND`;
  }
  // Through PTYPLEX_SSH_COMMAND's sh, an ssh killed by a signal is sh's
  // 128+N (and sh's own word for it, "Killed", on stderr).
  const signal = end.code !== null && end.code > 128 ? signalName(end.code - 128) : undefined;
  if (signal !== undefined) return `${on}: lost the connection (ssh ended by ${signal})`;
  if (last !== undefined && end.code !== 0) return `${on}: ${last.replace(/^ptyplex: /, '')}`;
  if (end.code !== 0) return `${on}: ssh ended with status ${String(end.code)}`;
  return undefined;
}

function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
}

function firstWord(command: string): string {
  return command.trim().split(/\s+/)[0] ?? command;
}
