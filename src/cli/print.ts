// A command's output written to fd 1 with write(2) itself: building Node's
// stdout stream for it (a pipe's is a net.Socket, a terminal's loads tty,
// and both load net) costs more than the rest of printing a short result,
// some 3 ms of a command that takes 100. A descriptor that would block (a
// non-blocking pipe that is full) gets the stream for what is left, and
// for everything after it, in order; a reader that has gone (EPIPE) gets
// nothing, as from the stream; any other failure (a full disk under a
// redirected stdout) is one line, not a stack trace.
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { EX_IOERR, UserError, errorCode } from './user-error.js';

/** A short result (expect's match, ls's table), printed at once. */
export function print(text: string): void {
  const rest = writeDirect(Buffer.from(text));
  if (rest instanceof Error) {
    if ((rest as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw new UserError(`cannot write to standard output: ${errorCode(rest)}`, EX_IOERR);
  }
  if (rest.length > 0) process.stdout.write(rest);
}

/**
 * Standard output as a Writable that writes with write(2) until the
 * descriptor would block, then through process.stdout (`tee --no-follow`:
 * a bounded output, where a blocking write costs nothing a Ctrl-C needs).
 * A failure is the stream's 'error', with the errno's code.
 */
export class DirectStdout extends Writable {
  private stream: NodeJS.WriteStream | undefined;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.stream !== undefined) {
      this.stream.write(chunk, done);
      return;
    }
    const rest = writeDirect(chunk);
    if (rest instanceof Error) return done(rest);
    if (rest.length === 0) return done();
    this.stream = process.stdout;
    this.stream.write(rest, done);
  }
}

// Writes data to fd 1 until done or it would block: what is left (empty
// when all was written), or the error that stopped it.
function writeDirect(data: Buffer): Buffer | Error {
  let rest = data;
  try {
    while (rest.length > 0) rest = rest.subarray(fs.writeSync(1, rest));
    return rest;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EAGAIN' ? rest : (err as Error);
  }
}
