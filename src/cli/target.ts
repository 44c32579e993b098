// Which session a command talks to: -S PATH, -L NAME, $PTYPLEX_SOCKET (set
// inside every console, so a command run in one reaches its own session),
// else whichever live session has the console asked for.
import path from 'node:path';
import { ControlClient, NotRespondingError } from '../server/control-client.js';
import type { SessionInfo } from '../server/session-info.js';
import { SessionError } from '../server/session-error.js';
import { checkSocketDir, liveSessions, sessionSocket, socketDir } from '../server/socket-dir.js';
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
  const all = await allSessions();
  if (all.length === 0) throw new SessionError('no session is running');
  // Asked all at once, each with its deadline: one stopped server costs a
  // second, not every command.
  const answers = await Promise.all(all.map((socket) => describeSession(socket).catch((err: unknown) => err)));
  const holding: string[] = [];
  const answered: string[] = [];
  answers.forEach((info, i) => {
    if (info instanceof NotRespondingError) process.stderr.write(`ptyplex: session "${info.session}" is not responding; skipped it\n`);
    if (info instanceof Error) return;
    answered.push(all[i]!);
    if ((info as SessionInfo).consoles.some((c) => c.name === name)) holding.push(all[i]!);
  });
  if (holding.length === 1) return holding[0]!;
  const names = (list: string[]) => list.map((s) => path.basename(s)).join(', ');
  if (holding.length === 0) {
    throw new SessionError(`no console "${name}" in any session${answered.length < all.length ? ' that answered' : ''} (${names(answered)})`);
  }
  throw new SessionError(`console "${name}" is in several sessions (${names(holding)}): pick one with -L`);
}

/** How long a server may take to answer a question (ls, a lookup by console name). */
export const QUERY_DEADLINE_MS = 1000;

/** Asks one server for its `ls` view; NotRespondingError if it does not answer in time. */
export async function describeSession(socket: string): Promise<SessionInfo> {
  const { client, reply } = await ControlClient.ask(socket, { op: 'ls' }, QUERY_DEADLINE_MS);
  client.close();
  return reply.session as SessionInfo;
}
