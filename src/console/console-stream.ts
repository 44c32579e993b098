// Node stream adapters over a PollConsole. The readable side honours
// backpressure: it stops draining when push() says the consumer is full and,
// because an edge-triggered poller never re-announces data it already
// reported, reads again as soon as Node asks (_read) instead of waiting for
// an edge that will not come.
import { Readable, Writable } from 'node:stream';
import { WOULD_BLOCK, type PollConsole } from './poll-console.js';

/** The reusable read buffer's size: the largest chunk pushed. */
const SCRATCH = 64 * 1024;
/** Stop gathering when less room than one PTY read (4 KiB) is left. */
const MIN_READ = 4096;
/**
 * Chunks pushed per turn of the event loop before yielding. A child that
 * writes without pause never lets the PTY run dry (no EAGAIN), and a reader
 * that only stops at EAGAIN would starve everything else in the process:
 * socket writes to clients, other consoles, requests. As libuv bounds its
 * own reads per event, this bounds ours (256 KiB a turn).
 */
const BUDGET = 4;

/** A gathered chunk at least this big is handed over whole, not copied. */
const HAND_OVER = 16 * 1024;

// One scratch buffer for every reader in the process: a gather never
// yields to the loop, so no two readers use it at once. A large chunk is
// the scratch itself (a subarray of it), handed to the consumer, and a new
// scratch takes its place: no copy, and at most 4 times its length held.
// A small one (a prompt, a keystroke's echo) is copied out at its size, so
// a queue of small chunks does not hold 64 KiB each. Either way each chunk
// is fresh memory, faulted in as it is first written (a page fault per
// 7 KiB or so of output, measured: the copy saved only the memcpy); one
// scratch per console would cost an idle console 64 KiB.
let shared: Buffer | undefined;

/** The shared scratch buffer, allocated on first use. */
function scratchBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafeSlow(SCRATCH));
}

/** Bytes [0, used) of the scratch as a chunk the consumer may keep. */
function takeChunk(used: number): Buffer {
  const scratch = scratchBuffer();
  if (used < HAND_OVER) return Buffer.from(scratch.subarray(0, used));
  shared = undefined;
  return scratch.subarray(0, used);
}

export class ConsoleReadable extends Readable {
  private waiting = false;
  private yielded = false;
  private stopped = false;

  constructor(
    private readonly console: PollConsole,
    options: { highWaterMark?: number } = {},
  ) {
    super({ highWaterMark: options.highWaterMark ?? SCRATCH });
  }

  override _read(): void {
    this.pump();
  }

  /**
   * Reads nothing more from the console until resumeReads: what its child
   * writes meanwhile waits in the kernel's PTY buffer (an upgrade hands
   * the master over with it). What was read already still flows out.
   */
  stopReads(): void {
    this.stopped = true;
  }

  resumeReads(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pump();
  }

  // Reads until the kernel has nothing (then waits for the next signal), the
  // console is shut down (end of stream), or the consumer is full. Reads are
  // gathered into one chunk: a PTY hands out at most 4 KiB a read, and one
  // push per read would cost more than the reads themselves.
  private pump(): void {
    if (this.waiting || this.yielded || this.destroyed || this.stopped) return;
    for (let turn = 0; ; turn++) {
      if (turn === BUDGET) {
        // Edge-triggered: nothing will announce the data still queued, so
        // come back for it ourselves, after the loop has run once.
        this.yielded = true;
        setImmediate(() => {
          this.yielded = false;
          this.pump();
        });
        return;
      }
      const scratch = scratchBuffer();
      let used = 0;
      let r: number;
      try {
        do {
          r = this.console.tryRead(scratch, used, SCRATCH - used);
          if (r > 0) used += r;
        } while (r > 0 && SCRATCH - used >= MIN_READ);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      const more = used > 0 ? this.push(takeChunk(used)) : true;
      if (r === 0) {
        this.push(null);
        return;
      }
      if (r === WOULD_BLOCK) {
        this.waiting = true;
        void this.console.waitReadable().then(() => {
          this.waiting = false;
          this.pump();
        });
        return;
      }
      if (!more) return;
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
