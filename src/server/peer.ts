// Who is at the other end of a connected unix socket, as the kernel
// recorded it at connect(2), and whom a control socket's ends trust.
import { native } from '../native.js';

/** The peer's pid and uid (pid 0 where the system does not tell it), or undefined. */
export function peerOf(fd: number): { pid: number; uid: number } | undefined {
  const cred = new Int32Array(3);
  return native.peerCred(fd, cred) === 0 ? { pid: cred[0]!, uid: cred[1]! } : undefined;
}

/** Whom either end of a control socket trusts: its own user, and root. */
export function trustedUid(uid: number): boolean {
  return uid === myUid() || uid === 0;
}

export function myUid(): number {
  return process.getuid?.() ?? 0;
}

/**
 * Why a server's socket is not to be talked to, or undefined if it may:
 * it must be our own user's (or root's), as someone else's socket could be
 * planted where we look, to read what we type.
 */
export function untrustedServer(fd: number): string | undefined {
  const peer = peerOf(fd);
  if (peer === undefined) return 'cannot tell whose server this is';
  return trustedUid(peer.uid) ? undefined : `the server belongs to uid ${peer.uid}, not to you (uid ${myUid()}); refusing to talk to it`;
}
