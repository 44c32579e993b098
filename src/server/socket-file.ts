// A socket's file on disk: whether a server answers behind it, its lock
// (PATH.lock, flock, held by the one server serving there, as tmux does),
// and removing it once stale. No Node sockets: a probe is one connect(2)
// through the addon, so a command that only looks never loads node:net.
import fs from 'node:fs';
import { native } from '../native.js';
import { EAGAIN, SysError } from '../sys-error.js';
import { SessionError } from './session-error.js';

export type SocketState = 'live' | 'stale' | 'absent' | 'not a socket';

/**
 * Whether a server answers at path: connects and hangs up at once. Only a
 * refusal (or the file gone meanwhile) is stale; anything else (a full
 * backlog, no permission) may be a live server and is left alone.
 */
export function probeSocket(file: string): Promise<SocketState> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return Promise.resolve('absent');
  }
  if (!st.isSocket()) return Promise.resolve('not a socket');
  const fd = native.connectUnix(file);
  if (fd >= 0) {
    native.close(fd);
    return Promise.resolve('live');
  }
  const code = new SysError(fd, 'connect').code;
  return Promise.resolve(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : 'live');
}

/** Removes a stale socket, unless a server is starting on it right now (it holds the lock). */
export async function removeIfStale(path: string): Promise<void> {
  const lock = lockSocket(path);
  if (lock === undefined) return;
  try {
    if ((await probeSocket(path)) === 'stale') removeStale(path);
  } finally {
    unlockSocket(path, lock);
  }
}

/**
 * Takes PATH.lock (flock, never waiting): its fd, or undefined while
 * another process holds it. A lock file unlinked by its last holder
 * between our open and our flock is retried, so two can never both hold
 * "the" lock on two inodes.
 */
export function lockSocket(path: string): number | undefined {
  const file = `${path}.lock`;
  for (;;) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new SessionError(`cannot create ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const r = native.lockFile(fd);
    if (r === EAGAIN) {
      fs.closeSync(fd);
      return undefined;
    }
    if (r < 0) {
      fs.closeSync(fd);
      throw new SessionError(`cannot lock ${file}: ${new SysError(r, 'flock').code}`);
    }
    if (sameFile(file, fs.fstatSync(fd))) return fd;
    fs.closeSync(fd);
  }
}

// Removed while held, so a lock file outlives no server; closing drops the lock.
export function unlockSocket(path: string, fd: number): void {
  removeStale(`${path}.lock`);
  fs.closeSync(fd);
}

/** Whether path still names the file st was taken of. */
export function sameFile(path: string, st: { ino: number; dev: number }): boolean {
  try {
    const now = fs.lstatSync(path);
    return now.ino === st.ino && now.dev === st.dev;
  } catch {
    return false;
  }
}

/** Why a connect to path failed (code: the errno's name), as one line. */
export function connectRefusal(path: string, code: string): SessionError {
  switch (code) {
    case 'ENOENT':
      return new SessionError(`no session at ${path}`);
    case 'ECONNREFUSED':
      // Linux says ECONNREFUSED for a path that is not a socket at all.
      return new SessionError(isSocket(path) ? `no server behind ${path} (stale socket)` : `${path} is not a socket`);
    case 'EACCES':
      return new SessionError(`permission denied: ${path}`);
    case 'ENOTSOCK':
      return new SessionError(`${path} is not a socket`);
    default:
      return new SessionError(`cannot connect to ${path}: ${code}`);
  }
}

function isSocket(path: string): boolean {
  try {
    return fs.lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

export function removeStale(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Someone else cleaned it up first.
  }
}
