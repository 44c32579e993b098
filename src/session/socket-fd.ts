import type { Socket } from 'node:net';

/**
 * The descriptor of a connected unix socket, for what Node cannot do
 * (SO_PEERCRED, SCM_RIGHTS): Node does not expose it, its libuv handle (a
 * Pipe wrap) does, on Unix.
 */
export function socketFd(sock: Socket): number | undefined {
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}
