// Where session sockets live, and why they can be trusted: a directory only
// its owner can enter ($XDG_RUNTIME_DIR/ptyplex, else /tmp/ptyplex-UID,
// mode 0700). A socket with no server behind it is stale: removed, never
// shown as a session.
import fs from 'node:fs';
import path from 'node:path';
import { nameProblem } from '../config/console-spec.js';
import { SessionError } from './session-error.js';
import { myUid } from './peer.js';
import { probeSocket, removeIfStale } from './socket-file.js';

export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime ? path.join(runtime, 'ptyplex') : `/tmp/ptyplex-${myUid()}`;
}

/** Creates the directory (0700) if missing; refuses one others could enter or plant sockets in. */
export function ensureSocketDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SessionError(`cannot create socket directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  checkSocketDir(dir);
}

/** Throws SessionError unless dir is a real directory owned by us and closed to group and others. */
export function checkSocketDir(dir: string): void {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new SessionError(`socket directory ${dir} is not a directory; refusing to use it`);
  if (st.uid !== myUid()) throw new SessionError(`socket directory ${dir} belongs to uid ${st.uid}, not to you (uid ${myUid()}); refusing to use it`);
  if ((st.mode & 0o077) !== 0) throw new SessionError(`socket directory ${dir} is open to group or others (mode ${modeText(st)}); refusing to use it (chmod 700 it)`);
}

/** A file's permission bits as chmod takes them: "0755". */
export function modeText(st: fs.Stats): string {
  return (st.mode & 0o777).toString(8).padStart(4, '0');
}

/** The socket of session `name` in dir. */
export function sessionSocket(dir: string, name: string): string {
  const bad = nameProblem(name, 'session');
  if (bad !== undefined) throw new SessionError(bad);
  return path.join(dir, name);
}

/**
 * The names of the sockets in dir (live or stale: no connection is made),
 * once dir is checked; none if there is no dir.
 */
export function socketFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isSocket() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
  checkSocketDir(dir);
  return entries;
}

/** The names of live sessions in dir, removing stale sockets on the way. */
export async function liveSessions(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  checkSocketDir(dir);
  const live: string[] = [];
  for (const name of entries) {
    // No session name starts with a dot: a socket being bound, renamed into place next.
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    const state = await probeSocket(file);
    if (state === 'live') live.push(name);
    else if (state === 'stale') await removeIfStale(file);
  }
  return live;
}

