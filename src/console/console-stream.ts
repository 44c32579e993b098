// Node stream adapters over a PollConsole. The readable side honours
// backpressure: it stops draining when push() says the consumer is full and,
// because an edge-triggered poller never re-announces data it already
// reported, reads again as soon as Node asks (_read) instead of waiting for
// an edge that will not come.
import { Readable, Writable } from 'node:stream';
import { WOULD_BLOCK, type PollConsole } from './poll-console.js';

/** Bytes read per slab; chunks are views into it, so reads allocate rarely. */
const SLAB = 64 * 1024;
/** Below this much room a slab is retired and a fresh one started. */
const MIN_READ = 16 * 1024;

export class ConsoleReadable extends Readable {
  private slab = Buffer.allocUnsafeSlow(SLAB);
  private used = 0;
  private waiting = false;

  constructor(
    private readonly console: PollConsole,
    options: { highWaterMark?: number } = {},
  ) {
    super({ highWaterMark: options.highWaterMark ?? SLAB });
  }

  override _read(): void {
    this.pump();
  }

  // Reads until the kernel has nothing (then waits for the next signal), the
  // console is shut down (end of stream), or the consumer is full.
  private pump(): void {
    if (this.waiting || this.destroyed) return;
    for (;;) {
      if (SLAB - this.used < MIN_READ) {
        this.slab = Buffer.allocUnsafeSlow(SLAB);
        this.used = 0;
      }
      let n: number;
      try {
        n = this.console.tryRead(this.slab, this.used, SLAB - this.used);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (n === WOULD_BLOCK) {
        this.waiting = true;
        void this.console.waitReadable().then(() => {
          this.waiting = false;
          this.pump();
        });
        return;
      }
      if (n === 0) {
        this.push(null);
        return;
      }
      const chunk = this.slab.subarray(this.used, this.used + n);
      this.used += n;
      if (!this.push(chunk)) return;
    }
  }
}

export class ConsoleWritable extends Writable {
  constructor(private readonly console: PollConsole) {
    super({ decodeStrings: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.console.write(chunk).then(() => done(), done);
  }
}
