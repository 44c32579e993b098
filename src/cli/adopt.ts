// `ptyplex adopt --console-socket PATH`: have a session listen on PATH for
// the PTY masters container runtimes send (runc/crun --console-socket) and
// take each in as a console. With no session running, one is started in the
// background for it. Returns once the socket is listening, so a script can
// run the runtime next. Without --console-socket the socket goes in a new
// private directory, and its path is printed for the runtime. With -H the
// whole command runs on that host (over ssh, `ptyplex adopt -H '' ...`):
// the console socket, the runtime and any session it starts are all there.
import fs from 'node:fs';
import path from 'node:path';
import { ControlClient } from '../server/control-client.js';
import { nameProblem } from '../config/console-spec.js';
import { privateConsoleSocket } from '../server/console-socket.js';
import { probeSocket } from '../server/socket-file.js';
import { sshOutput } from '../server/ssh-dial.js';
import type { SshHost } from '../server/ssh-host.js';
import { dialOptions, hostsOf, labels, targetFlags, type HostArgs } from './hosts.js';
import { closeOnHangupOf } from './run.js';
import { BIN_ARGS } from './self.js';
import { allSessions, givenSocket, sessionTarget, type TargetArgs } from './target.js';
import { EX_USAGE, UserError } from './user-error.js';
import { spawnSync } from 'node:child_process';

export interface AdoptArgs extends HostArgs {
  consoleSocket?: string | undefined;
  name?: string | undefined;
  once: boolean;
  closeOnHangup?: string | undefined;
}

/** Starting a session there may take a while: more than a query's deadline. */
const REMOTE_ADOPT_MS = 30_000;

export async function adoptCommand(args: AdoptArgs): Promise<number> {
  const hosts = hostsOf(args);
  if (hosts.length > 1) throw new UserError(`adopt listens on one host, not ${hosts.length} (${labels(hosts)})`, EX_USAGE);
  if (hosts.length === 1) return adoptOn(hosts[0]!, args);
  const name = args.name ?? (args.consoleSocket === undefined ? 'console' : path.basename(args.consoleSocket).replace(/\.sock$/, ''));
  const bad = nameProblem(name);
  if (bad !== undefined) throw new UserError(bad, EX_USAGE);
  const socket = args.consoleSocket === undefined ? privateConsoleSocket(name) : path.resolve(args.consoleSocket);
  if (args.consoleSocket !== undefined) return listenFor(args, socket, name);
  let status = 1;
  try {
    status = await listenFor(args, socket, name);
  } finally {
    if (status !== 0) fs.rmSync(path.dirname(socket), { recursive: true, force: true });
  }
  if (status === 0) process.stdout.write(`${socket}\n`);
  return status;
}

async function adoptOn(host: SshHost, args: AdoptArgs): Promise<number> {
  const remote = ['adopt', '-H', '', ...targetFlags(args)];
  if (args.consoleSocket !== undefined) remote.push('--console-socket', args.consoleSocket);
  if (args.name !== undefined) remote.push('--name', args.name);
  if (args.once) remote.push('--once');
  if (args.closeOnHangup !== undefined) remote.push(`--close-on-hangup=${args.closeOnHangup}`);
  const opts = dialOptions();
  process.stdout.write(await sshOutput(host, remote, { ...opts, deadlineMs: Math.max(opts.deadlineMs, REMOTE_ADOPT_MS) }));
  return 0;
}

async function listenFor(args: AdoptArgs, socket: string, name: string): Promise<number> {
  const hangup = closeOnHangupOf(args);
  const session = await runningSession(args);
  if (session !== undefined) {
    const { client } = await ControlClient.ask(session, { op: 'adopt', socket, name, once: args.once, ...hangup });
    client.close();
    return 0;
  }
  // No session: start one whose only job (for now) is this socket.
  const run = [...BIN_ARGS, 'run', '-d', '--adopt', `${name}=${socket}`];
  if (args.once) run.push('--once');
  if (args.closeOnHangup !== undefined) run.push(`--close-on-hangup=${args.closeOnHangup}`);
  if (args.socket !== undefined) run.push('-S', args.socket);
  else if (args.session !== undefined) run.push('-L', args.session);
  const r = spawnSync(process.execPath, run, { stdio: 'inherit' });
  return r.status ?? 1;
}

// The session a user means, as for `new`, if it is running: -S/-L or
// $PTYPLEX_SOCKET, else the only one, else default.
async function runningSession(args: TargetArgs): Promise<string | undefined> {
  const given = givenSocket(args);
  if (given !== undefined) return (await probeSocket(given)) === 'live' ? given : undefined;
  return (await allSessions()).length > 0 ? sessionTarget(args) : undefined;
}
