// The server side of `run --detach` (see daemon.ts): telling the parent
// that the server is listening, or why it is not. Apart from daemon.ts so
// that every command can report a failure without loading what starting a
// daemon needs (child_process, the native addon).
import fs from 'node:fs';

export const FD_ENV = 'PTYPLEX_DAEMON_FD';
export const SOCKET_ENV = 'PTYPLEX_DAEMON_SOCKET';
export const READY_FD = 3;

/** In the server: the socket the parent chose, or undefined when not a daemon. */
export function daemonSocket(): string | undefined {
  return process.env[FD_ENV] === String(READY_FD) ? process.env[SOCKET_ENV] : undefined;
}

/** In the server: listening and started; the parent may return. */
export function daemonReady(): void {
  report('ok\n');
}

/** In the server: why it could not start (a no-op outside a daemon). */
export function daemonFailed(line: string): void {
  report(line);
}

function report(text: string): void {
  if (daemonSocket() === undefined) return;
  delete process.env[FD_ENV];
  delete process.env[SOCKET_ENV];
  try {
    fs.writeSync(READY_FD, text);
    fs.closeSync(READY_FD);
  } catch {
    // The parent is gone; nobody to tell.
  }
}
