// A command's short result (expect's match, ls's table), written to fd 1
// with write(2) itself: building Node's stdout stream for it (a pipe's is a
// net.Socket) costs more than the rest of printing it, some 1.4 ms of a
// command that takes 100. A descriptor that would block (a non-blocking
// pipe that is full) gets the stream for what is left; a reader that has
// gone (EPIPE) gets nothing, as from the stream; any other failure (a full
// disk under a redirected stdout) is one line, not a stack trace.
import fs from 'node:fs';
import { EX_IOERR, UserError, errorCode } from './user-error.js';

export function print(text: string): void {
  let rest = Buffer.from(text);
  try {
    while (rest.length > 0) rest = rest.subarray(fs.writeSync(1, rest));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw new UserError(`cannot write to standard output: ${errorCode(err)}`, EX_IOERR);
    process.stdout.write(rest);
  }
}
