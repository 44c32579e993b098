// A command's short result (expect's match, ls's table), written to fd 1
// with write(2) itself: building Node's stdout stream for it (a pipe's is a
// net.Socket, a terminal's loads tty, and both load net and Node's
// streams) costs more than the rest of printing it, some 3 ms of a command
// that takes 100. A descriptor that would block (a non-blocking pipe that
// is full) gets the stream for what is left; a reader that has gone
// (EPIPE) gets nothing, as from the stream; any other failure (a full disk
// under a redirected stdout) is one line, not a stack trace.
import fs from 'node:fs';
import { EX_IOERR, UserError, errorCode } from './user-error.js';

export function print(text: string): void {
  const rest = writeDirect(Buffer.from(text));
  if (rest instanceof Error) {
    if ((rest as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw new UserError(`cannot write to standard output: ${errorCode(rest)}`, EX_IOERR);
  }
  if (rest.length > 0) process.stdout.write(rest);
}

/**
 * Writes data to fd 1 until done or it would block: what is left (empty
 * when all was written), or the error that stopped it.
 */
export function writeDirect(data: Buffer): Buffer | Error {
  let rest = data;
  try {
    while (rest.length > 0) rest = rest.subarray(fs.writeSync(1, rest));
    return rest;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EAGAIN' ? rest : (err as Error);
  }
}
