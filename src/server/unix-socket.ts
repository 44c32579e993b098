// Node's unix sockets, for what Node does not do: a socket's descriptor,
// the peer's uid, and binding a path safely (a stale socket is replaced, a
// live one or a non-socket refused, the file 0600 from its first instant,
// one server per path: its lock, socket-file.ts, held while it serves).
import fs from 'node:fs';
import type { Server, Socket } from 'node:net';
import nodePath from 'node:path';
import { peerOf } from './peer.js';
import { SessionError } from './session-error.js';
import { lockSocket, probeSocket, removeStale, sameFile, unlockSocket } from './socket-file.js';

/** The uid of the process at the other end, as the kernel recorded it at connect(2). */
export function peerUid(sock: Socket): number | undefined {
  const fd = socketFd(sock);
  return fd === undefined ? undefined : peerOf(fd)?.uid;
}

/**
 * The descriptor of a connected unix socket, for what Node cannot do
 * (SO_PEERCRED, SCM_RIGHTS): Node does not expose it, its libuv handle (a
 * Pipe wrap) does, on Unix.
 */
export function socketFd(sock: Socket): number | undefined {
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
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

/**
 * Bytes libuv still has to write on this socket. Node's writableLength does
 * not move while a batched write is in flight (up to the whole queue), so
 * only this shows a reader's progress as it happens.
 */
export function unsentBytes(sock: Socket): number {
  const handle = (sock as unknown as { _handle?: { writeQueueSize?: unknown } })._handle;
  return typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
}
