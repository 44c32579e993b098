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
import { FD_ENV, READY_FD, SOCKET_ENV } from './daemon-report.js';
import { SERVER_ARGS } from './self.js';

export { daemonFailed, daemonReady, daemonSocket } from './daemon-report.js';

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

