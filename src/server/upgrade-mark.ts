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

/**
 * The switch is over (done, or given up). Only our own mark is removed, and
 * nothing here throws: in a shared sticky directory another user may have
 * put anything at that name (a directory, their file), and a server that
 * starts, or has just been upgraded, must not fail over it.
 */
export function clearUpgrading(socket: string): void {
  try {
    if (ownMark(markPath(socket), process.getuid?.() ?? -1)) fs.unlinkSync(markPath(socket));
  } catch {
    // Gone meanwhile, or not removable: only a client's patience depends on it.
  }
}

/** True while the server behind socket is between two programs: a mark its owner made. */
export function upgradingNow(socket: string): boolean {
  try {
    return ownMark(markPath(socket), fs.statSync(socket).uid);
  } catch {
    return false;
  }
}

// A regular file (not followed if a link) of that uid's.
function ownMark(path: string, uid: number): boolean {
  try {
    const st = fs.lstatSync(path);
    return st.isFile() && st.uid === uid;
  } catch {
    return false;
  }
}
