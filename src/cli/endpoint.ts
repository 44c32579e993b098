// Where a command's session is, here or over ssh, as one thing to connect
// to: every client command connects through an Endpoint, so each works the
// same on this machine and with -H. A remote endpoint is pinned to the
// session its first connection reached (by socket path, -S), so a command
// that connects twice (stop: ls, then stop) talks to one session.
import { ControlClient, UpgradingError, type ConsoleLookup } from '../server/control-client.js';
import { SessionError } from '../server/session-error.js';
import { upgradingNow } from '../server/upgrade-mark.js';
import type { SessionInfo } from '../server/session-info.js';
import type { SshHost } from '../server/ssh-host.js';
import { dialOptions, hostsOf, labels, splitHostConsole, targetFlags, type HostArgs } from './hosts.js';
import { consoleAmong, describeSession, givenSocket, gone, noConsoleAnywhere, notRespondingLine, QUERY_DEADLINE_MS, sessionSockets, sessionTarget } from './target.js';
import { EX_USAGE, UserError } from './user-error.js';

export interface Endpoint {
  /** The host, for a session on another machine. */
  readonly host: SshHost | undefined;
  /** The socket, for a session on this machine. */
  readonly socket?: string;
  connect(): Promise<ControlClient>;
  /** Connects and sends one request, waiting out an upgrade (ControlClient.ask). */
  ask(message: object, deadline?: number): ReturnType<typeof ControlClient.ask>;
}

export function localEndpoint(socket: string): Endpoint {
  return { host: undefined, socket, connect: () => ControlClient.connect(socket), ask: (message, deadline) => ControlClient.ask(socket, message, deadline) };
}

/** Console NAME on this machine: -S, -L or $PTYPLEX_SOCKET's session, else whichever holds it. */
export async function localConsole(name: string, args: HostArgs): Promise<Endpoint> {
  const given = givenSocket(args);
  if (given !== undefined) return localEndpoint(given);
  const sockets = sessionSockets();
  if (sockets.length === 0) throw new SessionError('no session is running');
  // One session (the common case): no list asked for, the command's own
  // request finds the console. Several: each is asked for its list first,
  // so a console in two is refused before anything is done to either.
  if (sockets.length === 1) return findingEndpoint(sockets[0]!, name);
  return localEndpoint(await consoleAmong(sockets, name));
}

/**
 * The only session on this machine, for a command on console NAME: its
 * first request also finds the console (ControlClient's ConsoleLookup),
 * and a server without it, or silent past the query deadline, or gone, is
 * reported as a lookup among all sessions reports it.
 */
function findingEndpoint(socket: string, name: string): Endpoint {
  let found = false;
  const lookup: ConsoleLookup = {
    deadline: QUERY_DEADLINE_MS,
    found: () => {
      found = true;
    },
    absent: () => noConsoleAnywhere(name, [socket], false),
    notResponding: (err) => {
      // Its program is being replaced: the new one will answer, soon.
      if (upgradingNow(socket)) return new UpgradingError(err.message);
      process.stderr.write(`ptyplex: ${notRespondingLine(err)}\n`);
      return noConsoleAnywhere(name, [], true);
    },
    held: async () => (await describeSession(socket)).consoles.some((c) => c.name === name),
  };
  const connect = async (): Promise<ControlClient> => {
    let client: ControlClient;
    try {
      client = await ControlClient.connect(socket);
    } catch (err) {
      if (!found && (await gone(socket))) throw new SessionError('no session is running');
      throw err;
    }
    if (!found) client.findFirst(lookup);
    return client;
  };
  return { host: undefined, socket, connect, ask: (message, deadline) => ControlClient.ask(connect, message, deadline) };
}

/** A session on host, picked there by dialArgs (-L, -S, --console NAME, or none). */
export function remoteEndpoint(host: SshHost, dialArgs: readonly string[]): Endpoint {
  let pinned: string[] | undefined;
  const connect = async (): Promise<ControlClient> => {
    // Loaded only here: a local command does not pay for ssh's code (and child_process).
    const { dialSsh } = await import('../server/ssh-dial.js');
    const dialed = await dialSsh(host, pinned ?? dialArgs, dialOptions());
    pinned = ['-S', dialed.socket];
    return dialed.client;
  };
  return { host, connect, ask: (message, deadline) => ControlClient.ask(connect, message, deadline) };
}

/** The session holding console NAME (or HOST:NAME with -H): attach, send, expect. */
export async function consoleEndpoint(name: string, args: HostArgs): Promise<{ endpoint: Endpoint; console: string }> {
  const hosts = hostsOf(args);
  if (hosts.length === 0) return { endpoint: await localConsole(name, args), console: name };
  const split = splitHostConsole(name, hosts);
  const host = split.host ?? (hosts.length === 1 ? hosts[0] : undefined);
  if (host === undefined) throw new UserError(`several hosts (${labels(hosts)}): name the console as HOST:${name}`, EX_USAGE);
  return { endpoint: consoleOn(host, split.console, args), console: split.console };
}

/** Console NAME on host: found there as a local command would find it. */
export function consoleOn(host: SshHost, name: string, args: HostArgs): Endpoint {
  const flags = targetFlags(args);
  return remoteEndpoint(host, flags.length > 0 ? flags : ['--console', name]);
}

/** A session-wide command's session (new, stop, start, restart, kill-server): one host at most. */
export async function sessionEndpoint(args: HostArgs): Promise<Endpoint> {
  const hosts = hostsOf(args);
  if (hosts.length > 1) throw new UserError(`this command acts on one session: give one host, not ${hosts.length} (${labels(hosts)})`, EX_USAGE);
  if (hosts.length === 1) return remoteEndpoint(hosts[0]!, targetFlags(args));
  return localEndpoint(await sessionTarget(args));
}

/** The session's `ls` view, within the query deadline. */
export async function describeEndpoint(endpoint: Endpoint): Promise<SessionInfo> {
  const { client, reply } = await endpoint.ask({ op: 'ls' }, QUERY_DEADLINE_MS);
  client.close();
  return reply.session as SessionInfo;
}
