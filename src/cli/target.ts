// Which session a command talks to: -S PATH, -L NAME, $PTYPLEX_SOCKET (set
// inside every console, so a command run in one reaches its own session),
// else whichever live session has the console asked for.
import path from 'node:path';
import { ControlClient, NotRespondingError } from '../server/control-client.js';
import type { SessionInfo } from '../server/session-info.js';
import { SessionError } from '../server/session-error.js';
import { checkSocketDir, liveSessions, sessionSocket, socketDir, socketFiles } from '../server/socket-dir.js';
import { probeSocket, removeIfStale } from '../server/socket-file.js';
import fs from 'node:fs';

export interface TargetArgs {
  session?: string | undefined;
  socket?: string | undefined;
}

export const DEFAULT_SESSION = 'default';

/** The socket named by -S or -L, if either was given. */
export function explicitSocket(args: TargetArgs): string | undefined {
  if (args.socket !== undefined) return path.resolve(args.socket);
  if (args.session !== undefined) {
    const dir = socketDir();
    if (fs.existsSync(dir)) checkSocketDir(dir);
    return sessionSocket(dir, args.session);
  }
  return undefined;
}

/** The socket -S, -L or $PTYPLEX_SOCKET (inside a console) names, if any. */
export function givenSocket(args: TargetArgs): string | undefined {
  return explicitSocket(args) ?? (process.env.PTYPLEX_SOCKET || undefined);
}

/** Every session a command without -L/-S can see: the live sockets in the socket directory. */
export async function allSessions(): Promise<string[]> {
  const dir = socketDir();
  return (await liveSessions(dir)).map((name) => path.join(dir, name));
}

/**
 * The sockets in the socket directory, live or not, without connecting to
 * any: for a command that connects to each anyway and can tell a dead one
 * by that (see gone).
 */
export function sessionSockets(): string[] {
  const dir = socketDir();
  return socketFiles(dir).map((name) => path.join(dir, name));
}

/**
 * After a connection to socket failed: true (and the socket removed, if
 * stale) when no server is behind it any more, so it is no session; false
 * when one is, and the failure is worth its own message.
 */
export async function gone(socket: string): Promise<boolean> {
  if ((await probeSocket(socket)) === 'live') return false;
  await removeIfStale(socket);
  return true;
}

/** A session-wide command's target (new, kill-server). */
export async function sessionTarget(args: TargetArgs): Promise<string> {
  const given = givenSocket(args);
  if (given !== undefined) return given;
  const all = await allSessions();
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new SessionError('no session is running');
  const byDefault = all.find((s) => path.basename(s) === DEFAULT_SESSION);
  if (byDefault !== undefined) return byDefault;
  throw new SessionError(`several sessions are running (${all.map((s) => path.basename(s)).join(', ')}): pick one with -L`);
}

/** The session holding console `name` (attach, tee, send, expect). */
export async function consoleTarget(name: string, args: TargetArgs): Promise<string> {
  const given = givenSocket(args);
  if (given !== undefined) return given;
  return consoleAmong(sessionSockets(), name);
}

/**
 * Which of sockets holds console `name`: each is asked for its list (one
 * connection each, all at once); a socket with no server behind it is no
 * session, and is removed.
 */
export async function consoleAmong(sockets: string[], name: string): Promise<string> {
  // Asked all at once, each with its deadline: one stopped server costs a
  // second, not every command.
  const answers = await Promise.all(sockets.map((socket) => describeSession(socket).catch((err: unknown) => err)));
  const dead = await Promise.all(answers.map((info, i) => (info instanceof Error && !(info instanceof NotRespondingError) ? gone(sockets[i]!) : false)));
  const all = sockets.filter((_, i) => !dead[i]);
  if (all.length === 0) throw new SessionError('no session is running');
  const holding: string[] = [];
  const answered: string[] = [];
  answers.forEach((info, i) => {
    if (info instanceof NotRespondingError) process.stderr.write(`ptyplex: ${notRespondingLine(info)}\n`);
    if (info instanceof Error) return;
    answered.push(sockets[i]!);
    if ((info as SessionInfo).consoles.some((c) => c.name === name)) holding.push(sockets[i]!);
  });
  if (holding.length === 1) return holding[0]!;
  if (holding.length === 0) throw noConsoleAnywhere(name, answered, answered.length < all.length);
  throw new SessionError(`console "${name}" is in several sessions (${sessionNames(holding)}): pick one with -L`);
}

/** What a lookup by console name says of a session that did not answer in time. */
export function notRespondingLine(err: NotRespondingError): string {
  return `session "${err.session}" is not responding; skipped it`;
}

/** Console `name` is in none of the sessions that answered (some did not: `partly`). */
export function noConsoleAnywhere(name: string, answered: string[], partly: boolean): SessionError {
  if (answered.length === 0) return new SessionError(`no session answered, so no console "${name}" was found`);
  return new SessionError(`no console "${name}" in any session${partly ? ' that answered' : ''} (${sessionNames(answered)})`);
}

function sessionNames(sockets: string[]): string {
  return sockets.map((s) => path.basename(s)).join(', ');
}

/** How long a server may take to answer a question (ls, a lookup by console name). */
export const QUERY_DEADLINE_MS = 1000;

/** Asks one server for its `ls` view; NotRespondingError if it does not answer in time. */
export async function describeSession(socket: string): Promise<SessionInfo> {
  const { client, reply } = await ControlClient.ask(socket, { op: 'ls' }, QUERY_DEADLINE_MS);
  client.close();
  return reply.session as SessionInfo;
}
