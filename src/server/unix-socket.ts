// Unix sockets, for what Node does not do: a socket's descriptor, the
// peer's uid, and binding a path safely (a stale socket is replaced, a live
// one or a non-socket refused, the file 0600 from its first instant).
import fs from 'node:fs';
import net, { type Server, type Socket } from 'node:net';
import { native } from '../native.js';
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

/**
 * Binds server to path: a stale socket there is replaced; a live one, or
 * anything that is not a socket, is refused with `busy` / a SessionError.
 */
export async function listenUnix(server: Server, path: string, busy: string): Promise<void> {
  const state = await probeSocket(path);
  if (state === 'live') throw new SessionError(busy);
  if (state === 'not a socket') throw new SessionError(`${path} exists and is not a socket; refusing to replace it`);
  if (state === 'stale') removeStale(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new SessionError(`cannot listen on ${path}: ${err.code ?? err.message}`)));
    // bind(2) creates the file, synchronously inside listen(): the umask
    // makes it 0600 from its first instant.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
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
