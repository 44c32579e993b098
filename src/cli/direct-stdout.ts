// Standard output as a Writable that writes with write(2) (print.ts's way)
// until the descriptor would block, then through process.stdout, in order:
// for `tee --no-follow`, whose output is bounded, so a blocking write costs
// nothing a Ctrl-C needs, and which then loads neither tty nor net.
import { Writable } from 'node:stream';
import { writeDirect } from './print.js';

/** A failure is the stream's 'error', with the errno's code (EPIPE: the reader has gone). */
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
