// Which machines a command talks to: every -H ssh://... given (repeatable),
// else $PTYPLEX_HOST (comma- or space-separated), else this one. `-H ''`
// means this machine whatever $PTYPLEX_HOST says (what a remote `adopt` is
// run with, so a host's own PTYPLEX_HOST cannot send it on elsewhere).
import { parseSshHost, hostMatches, type SshHost } from '../server/ssh-host.js';
import { SSH_DEADLINE_MS, sshSettingsFrom } from '../server/ssh-command.js';
import type { DialOptions } from '../server/ssh-dial.js';
import { SessionError } from '../server/session-error.js';
import { parseDuration } from './duration.js';
import type { TargetArgs } from './target.js';
import { EX_USAGE, UserError } from './user-error.js';

export interface HostArgs extends TargetArgs {
  host?: string | string[] | undefined;
}

export function hostsOf(args: HostArgs, env: NodeJS.ProcessEnv = process.env): SshHost[] {
  const given = args.host === undefined ? [] : [args.host].flat();
  const texts = given.length > 0 ? given : (env.PTYPLEX_HOST ?? '').split(/[\s,]+/);
  const hosts: SshHost[] = [];
  for (const text of texts.filter(Boolean)) {
    let h: SshHost;
    try {
      h = parseSshHost(text);
    } catch (err) {
      throw new UserError((err as SessionError).message, EX_USAGE);
    }
    if (!hosts.some((o) => o.label === h.label)) hosts.push(h);
  }
  return hosts;
}

/** ssh settings and the deadline for a host's first answer ($PTYPLEX_SSH_TIMEOUT, default 8s). */
export function dialOptions(env: NodeJS.ProcessEnv = process.env): DialOptions {
  const timeout = env.PTYPLEX_SSH_TIMEOUT;
  return { settings: sshSettingsFrom(env), deadlineMs: timeout ? parseDuration(timeout, 'PTYPLEX_SSH_TIMEOUT') : SSH_DEADLINE_MS };
}

/** -L/-S as given, passed on to the remote ptyplex unresolved (its paths are its own). */
export function targetFlags(args: TargetArgs): string[] {
  if (args.socket !== undefined) return ['-S', args.socket];
  if (args.session !== undefined) return ['-L', args.session];
  return [];
}

/**
 * HOST:CONSOLE split where HOST names one of the hosts given (console
 * names have no ':'); a bare name has no host. A prefix that names no
 * given host is a mistake.
 */
export function splitHostConsole(name: string, hosts: readonly SshHost[]): { host: SshHost | undefined; console: string } {
  const i = name.lastIndexOf(':');
  if (i < 0) return { host: undefined, console: name };
  const prefix = name.slice(0, i);
  const host = hosts.find((h) => hostMatches(h, prefix));
  if (host === undefined) {
    throw new UserError(`"${name}": no host "${prefix}" among ${hosts.length === 0 ? 'none given (-H ssh://...)' : hosts.map((h) => h.label).join(', ')}`, EX_USAGE);
  }
  return { host, console: name.slice(i + 1) };
}

export function labels(hosts: readonly SshHost[]): string {
  return hosts.map((h) => h.label).join(', ');
}
