// Unix sockets, for what Node does not do: a socket's descriptor, the
// peer's uid, and binding a path safely (a stale socket is replaced, a live
// one or a non-socket refused, the file 0600 from its first instant, one
// server per path: a lock on PATH.lock, as tmux does, held while it serves).
import fs from 'node:fs';
import net, { type Server, type Socket } from 'node:net';
import nodePath from 'node:path';
import { native } from '../native.js';
import { EAGAIN, SysError } from '../sys-error.js';
import { SessionError } from './session-error.js';

/**
 * The descriptor of a connected unix socket, for what Node cannot do
 * (SO_PEERCRED, SCM_RIGHTS): Node does not expose it, its libuv handle (a
 * Pipe wrap) does, on Unix.
 */
export function socketFd(sock: Socket): number | undefined {
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

/** The uid of the process at the other end, as the kernel recorded it at connect(2). */
export function peerUid(sock: Socket): number | undefined {
  const fd = socketFd(sock);
  const cred = new Int32Array(3);
  return fd !== undefined && native.peerCred(fd, cred) === 0 ? cred[1]! : undefined;
}

/** Whom either end of a control socket trusts: its own user, and root. */
export function trustedUid(uid: number): boolean {
  return uid === myUid() || uid === 0;
}

export function myUid(): number {
  return process.getuid?.() ?? 0;
}

/** A socket file we bound: release() removes it (if still ours) and lets the next server in. */
export interface BoundSocket {
  release(): void;
  /** What the server's next program needs to go on holding it (an upgrade). */
  readonly held: HeldSocket;
}

/** A bound socket's path, its lock's fd and the file's identity: plain data. */
export interface HeldSocket {
  path: string;
  lockFd: number;
  ino: number;
  dev: number;
}

/** The BoundSocket a server's previous program held (its lock fd inherited). */
export function heldSocket(held: HeldSocket): BoundSocket {
  return boundSocket(held.path, held.lockFd, held.ino, held.dev);
}

function boundSocket(path: string, lock: number, ino: number, dev: number): BoundSocket {
  return {
    held: { path, lockFd: lock, ino, dev },
    release() {
      // Someone may have put another socket there since: that one is not ours to remove.
      if (sameFile(path, { ino, dev })) removeStale(path);
      unlockSocket(path, lock);
    },
  };
}

/** The listening descriptor of a net.Server (for an upgrade to keep). */
export function serverFd(server: Server): number | undefined {
  const handle = (server as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

/** Listens on fd, a socket already bound and listening (inherited). */
export function listenOnFd(server: Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Binds server to path: a stale socket there is replaced; a live one, a
 * server starting there (it holds the lock), or anything that is not a
 * socket, is refused with `busy` / a SessionError.
 */
export async function listenUnix(server: Server, path: string, busy: string): Promise<BoundSocket> {
  const lock = lockSocket(path);
  if (lock === undefined) throw new SessionError(busy);
  try {
    const state = await probeSocket(path);
    if (state === 'live') throw new SessionError(busy);
    if (state === 'not a socket') throw new SessionError(`${path} exists and is not a socket; refusing to replace it`);
    // libuv unlinks the name it bound when the server closes, whatever file
    // is there by then: it binds a private name, renamed into place, so the
    // only unlink of path is ours, and only of our own socket.
    const temp = nodePath.join(nodePath.dirname(path), `.${nodePath.basename(path)}.${process.pid}`);
    removeStale(temp);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new SessionError(`cannot listen on ${path}: ${err.code ?? err.message}`)));
      // bind(2) creates the file, synchronously inside listen(): the umask
      // makes it 0600 from its first instant.
      const umask = process.umask(0o177);
      try {
        server.listen(temp, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    try {
      fs.renameSync(temp, path);
    } catch (err) {
      server.close();
      throw new SessionError(`cannot listen on ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } catch (err) {
    unlockSocket(path, lock);
    throw err;
  }
  const bound = fs.lstatSync(path);
  return boundSocket(path, lock, bound.ino, bound.dev);
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
function lockSocket(path: string): number | undefined {
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
function unlockSocket(path: string, fd: number): void {
  removeStale(`${path}.lock`);
  fs.closeSync(fd);
}

/** Whether path still names the file st was taken of. */
function sameFile(path: string, st: { ino: number; dev: number }): boolean {
  try {
    const now = fs.lstatSync(path);
    return now.ino === st.ino && now.dev === st.dev;
  } catch {
    return false;
  }
}

export type SocketState = 'live' | 'stale' | 'absent' | 'not a socket';

/** Whether a server answers at path: connects and hangs up at once. */
export function probeSocket(file: string): Promise<SocketState> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return Promise.resolve('absent');
  }
  if (!st.isSocket()) return Promise.resolve('not a socket');
  return new Promise((resolve) => {
    const sock = net.connect(file);
    sock.once('connect', () => {
      sock.destroy();
      resolve('live');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'stale' : 'live');
    });
  });
}

export function removeStale(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Someone else cleaned it up first.
  }
}

/**
 * Bytes libuv still has to write on this socket. Node's writableLength does
 * not move while a batched write is in flight (up to the whole queue), so
 * only this shows a reader's progress as it happens.
 */
export function unsentBytes(sock: Socket): number {
  const handle = (sock as unknown as { _handle?: { writeQueueSize?: unknown } })._handle;
  return typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
}
