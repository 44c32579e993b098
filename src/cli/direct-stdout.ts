// Standard output as a Writable that writes with write(2) (print.ts's way):
// for `tee --no-follow`, whose output is bounded, so a blocking write costs
// nothing a Ctrl-C needs, and which then loads neither tty nor net. What a
// full non-blocking pipe does not take goes through process.stdout; the
// next chunk is written only once that is out (a Writable hands _write one
// chunk at a time), so nothing overtakes it.
import { Writable } from 'node:stream';
import { writeDirect } from './print.js';

/** A failure is the stream's 'error', with the errno's code (EPIPE: the reader has gone). */
export class DirectStdout extends Writable {
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const rest = writeDirect(chunk);
    if (rest instanceof Error) done(rest);
    else if (rest.length === 0) done();
    else process.stdout.write(rest, done);
  }
}
