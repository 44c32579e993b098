// While a session server's program is being replaced (from just before
// its execve until the new program listens), nothing answers on its
// socket: connections wait in the backlog. A file next to the socket says
// so, so a client whose question is not answered in time waits for the new
// program (bounded) instead of calling the session "not responding". It
// lives in the socket's own directory, which only the owner can write.
import fs from 'node:fs';

function markPath(socket: string): string {
  return `${socket}.upgrading`;
}

/** Says, next to the socket, that its server's program is being replaced. */
export function markUpgrading(socket: string): void {
  // Created, never opened if something is there already (a -S socket may
  // sit in a shared sticky directory): only its presence says anything.
  try {
    fs.closeSync(fs.openSync(markPath(socket), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600));
  } catch {
    // There already, or not makeable: a client then only calls a slow switch "not responding".
  }
}

/** The switch is over (done, or given up). */
export function clearUpgrading(socket: string): void {
  fs.rmSync(markPath(socket), { force: true });
}

/** True while the server behind socket is between two programs. */
export function upgradingNow(socket: string): boolean {
  return fs.existsSync(markPath(socket));
}
