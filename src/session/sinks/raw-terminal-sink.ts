// A lone console's output straight onto the terminal: no labels, no line
// buffering, so prompts and full-screen programs look as they would alone.
import type { Writable } from 'node:stream';
import { onDrainOrClose, type Sink } from './sink.js';

export class RawTerminalSink implements Sink {
  readonly lossless = true;
  private atLineStart = true;

  constructor(private readonly out: Writable) {}

  write(chunk: Buffer): boolean {
    if (chunk.length > 0) this.atLineStart = chunk[chunk.length - 1] === 0x0a;
    // A terminal that is gone takes nothing, and must not stall the logs.
    return this.out.destroyed ? true : this.out.write(chunk);
  }

  onDrain(cb: () => void): void {
    onDrainOrClose(this.out, cb);
  }

  note(text: string): void {
    // On a line of its own, even after output that did not end in one.
    this.out.write(`${this.atLineStart ? '' : '\r\n'}${text}\n`);
    this.atLineStart = true;
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}
