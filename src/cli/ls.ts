// `ptyplex ls`: every live session and its consoles, as a table or --json.
// With -H, each host's own ptyplex lists its sessions (`ptyplex dial-stdio
// --ls` over ssh: the listing, its stale-socket cleanup and its deadlines
// are that host's, as if run there), all hosts at once; the table gains a
// HOST column and --json a `host` field. A host that fails is one line on
// stderr; the others are still listed, and the status is 1.
import { signalName } from '../session/exit-status.js';
import type { ConsoleInfo, SessionInfo } from '../server/session-info.js';
import { SessionError } from '../server/session-error.js';
import type { SshHost } from '../server/ssh-host.js';
import { table } from './table.js';
import { print } from './print.js';
import { NotRespondingError } from '../server/control-client.js';
import { dialOptions, hostsOf, targetFlags, type HostArgs } from './hosts.js';
import { describeSession, explicitSocket, gone, sessionSockets, type TargetArgs } from './target.js';

export interface LsArgs extends HostArgs {
  json: boolean;
}

type Listed = (SessionInfo | SilentSession) & { host?: string };

export async function lsCommand(args: LsArgs): Promise<number> {
  const hosts = hostsOf(args);
  let failed = false;
  let sessions: Listed[];
  if (hosts.length === 0) sessions = await localSessions(args);
  else {
    const answers = await Promise.all(hosts.map((h) => remoteSessions(h, args).catch((err: unknown) => err)));
    sessions = [];
    for (const a of answers) {
      if (a instanceof SessionError) {
        process.stderr.write(`ptyplex: ${a.message}\n`);
        failed = true;
      } else if (a instanceof Error) throw a;
      else sessions.push(...(a as Listed[]));
    }
  }
  const status = failed ? 1 : 0;
  if (args.json) {
    print(`${JSON.stringify(sessions, null, 2)}\n`);
    return status;
  }
  if (sessions.length === 0) {
    if (!failed) process.stderr.write('ptyplex: no sessions\n');
    return 1;
  }
  const head = ['SESSION', 'CONSOLE', 'PID', 'STATE', 'RESTARTS', 'SIZE', 'OUT', 'CLIENTS', 'UPTIME'];
  const rows = [hosts.length > 0 ? ['HOST', ...head] : head];
  const now = Date.now();
  for (const s of sessions) {
    const lead = hosts.length > 0 ? [s.host ?? '-'] : [];
    if ('state' in s) rows.push([...lead, s.name, '-', '-', s.state, '-', '-', '-', '-', '-']);
    else for (const c of s.consoles) rows.push([...lead, ...consoleRow(s.name, c, now)]);
  }
  print(table(rows));
  return status;
}

/** This machine's sessions (-L/-S: that one), as `ls --json` shows them. */
export async function localSessions(args: TargetArgs): Promise<(SessionInfo | SilentSession)[]> {
  const given = explicitSocket(args) ?? undefined;
  const sockets = given !== undefined ? [given] : sessionSockets();
  // Each socket is asked at once, one connection each: one with no server
  // behind it is not a session (and is removed), nor is a server that dies
  // before it answers; one that does not answer in time is listed as such.
  const ask = (s: string) =>
    describeSession(s).catch(async (err: unknown) => {
      if (err instanceof NotRespondingError) return silent(s, err);
      await gone(s);
      return undefined;
    });
  return (await Promise.all(sockets.map((s) => (given ? describeSession(s) : ask(s))))).filter(
    (s): s is SessionInfo | SilentSession => s !== undefined,
  );
}

async function remoteSessions(host: SshHost, args: TargetArgs): Promise<Listed[]> {
  // Loaded only here: a local ls does not pay for ssh's code (and child_process).
  const { sshOutput } = await import('../server/ssh-dial.js');
  const text = await sshOutput(host, ['dial-stdio', '--ls', ...targetFlags(args)], dialOptions());
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every(listedShape)) throw new SessionError(`${host.label}: the remote ptyplex did not answer as dial-stdio --ls does (a different version?)`);
  // The HOST column is ours to fill: a remote cannot name itself another host.
  return (list as Listed[]).map((s) => ({ ...s, host: host.label }));
}

// What another machine says is checked before it is shown: an answer of
// the wrong shape is that host's failure (one line), not a crash here.
function listedShape(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const isObject = (c: unknown) => typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>).name === 'string';
  return typeof s.name === 'string' && Array.isArray(s.consoles) && s.consoles.every(isObject);
}

/** A session whose server did not answer: all `ls` can say of it. */
export interface SilentSession {
  name: string;
  socket: string;
  pid: number | null;
  state: 'not responding';
  consoles: [];
}

function silent(socket: string, err: NotRespondingError): SilentSession {
  return { name: err.session, socket, pid: err.pid ?? null, state: 'not responding', consoles: [] };
}

function consoleRow(session: string, c: ConsoleInfo, now: number): string[] {
  return [
    session,
    c.name,
    c.pid === null ? '-' : String(c.pid),
    stateText(c),
    String(c.restarts),
    c.cols !== null ? `${c.cols}x${c.rows}` : '-',
    bytesText(c.bytesOut),
    String(c.clients),
    c.startedAt === null ? '-' : durationText(now - Date.parse(c.startedAt)),
  ];
}

// "exited 1", "waiting (for db: ready)", "backoff (next try in 4s)", "failed (gave up after 3 restarts ...)".
function stateText(c: ConsoleInfo): string {
  const ended = c.signal !== null ? `killed by ${signalName(c.signal)}` : c.exitCode !== null ? `exited ${c.exitCode}` : 'exited';
  const state = c.state === 'exited' ? ended : c.state;
  return c.reason !== null ? `${state} (${c.reason})` : state;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
