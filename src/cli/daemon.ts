// `run --detach`: the session server runs as its own process, in its own
// session (no terminal), and the command returns once that server is
// listening and its consoles are started, or with the server's own error
// message if it could not get that far. The two talk over one pipe (fd 3 in
// the server): "ok", or the error line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { inheritableEnv } from '../console/inheritable-env.js';
import { native } from '../native.js';
import { SERVER_ARGS } from './self.js';

const FD_ENV = 'PTYPLEX_DAEMON_FD';
const SOCKET_ENV = 'PTYPLEX_DAEMON_SOCKET';
const READY_FD = 3;

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

/**
 * In the parent: starts this same command line as a server on socket,
 * logging to logFile; resolves with the status to exit with.
 */
export async function startDaemon(socket: string, logFile: string): Promise<number> {
  const log = fs.openSync(logFile, 'a', 0o600);
  // What our caller left open above stderr (`63>&1`, a pipe it waits on)
  // must not reach the server, which would hold it for its whole life:
  // marked close-on-exec here, it never arrives. (Closing in the server
  // instead could not tell such fds from Node's own once Node is up.)
  native.markCloseOnExec(3);
  const child = spawn(process.execPath, [...SERVER_ARGS, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: { ...inheritableEnv(), [FD_ENV]: String(READY_FD), [SOCKET_ENV]: socket },
  });
  fs.closeSync(log);
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  let said = '';
  for await (const chunk of child.stdio[READY_FD] as Readable) said += String(chunk);
  if (said.startsWith('ok')) {
    child.unref();
    return 0;
  }
  const status = await exited;
  process.stderr.write(said || `ptyplex: the session server exited (status ${status}) before it was ready; see ${logFile}\n`);
  return status || 1;
}

