// One client's view of a console's output: frames written to its socket
// with a bounded queue. A client that falls a queue behind (a burst, a busy
// machine) holds the console while it catches up, so a client that can keep
// up loses nothing. A client that cannot (stopped, stalled: no progress for
// STALL_MS; or slow: not caught up within MAX_HOLD_MS) is cut loose for
// good: it never holds the console again, the rest of its backlog is
// skipped, and once its socket drains it is told how much it missed and,
// if it draws a screen, redrawn from the ring buffer.
import type { Socket } from 'node:net';
import type { Holder, Subscriber } from './output-hub.js';
import { dataFrame, jsonFrame } from './protocol.js';

/** Default bound on a client's queued output. */
export const DEFAULT_CLIENT_QUEUE = 4 * 1024 * 1024;
/** A held client that sends nothing on for this long is stalled. */
const STALL_MS = 250;
/** A held client not back under half its queue in this long is too slow. */
const MAX_HOLD_MS = 1000;
const CHECK_MS = 25;

export class ClientFeed implements Subscriber {
  private skipping = false;
  private skipped = 0;
  private cutLoose = false;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly holder: Holder,
    private readonly limit: number,
    /** What to send after a skip so the client's screen is right again. */
    private readonly redraw?: () => Buffer,
  ) {
    socket.once('close', () => this.endHold());
  }

  data(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.skipping) {
      this.skipped += chunk.length;
      return;
    }
    if (this.socket.writableLength >= this.limit && this.cutLoose) {
      this.startSkipping(chunk.length);
      return;
    }
    this.socket.write(framed(chunk));
    if (this.socket.writableLength >= this.limit && !this.cutLoose) this.startHold();
  }

  /** Sends a message after any queued output. */
  send(message: object): void {
    if (!this.socket.destroyed) this.socket.write(jsonFrame(message));
  }

  // Holds the console until the queue is down to half, watching progress.
  private startHold(): void {
    if (this.holdTimer !== undefined) return;
    this.holder.hold(this);
    const started = Date.now();
    let lastProgress = started;
    let last = this.socket.writableLength;
    this.holdTimer = setInterval(() => {
      const queued = this.socket.writableLength;
      const now = Date.now();
      if (queued <= this.limit / 2) {
        this.endHold();
        return;
      }
      if (queued < last) lastProgress = now;
      last = queued;
      if (now - lastProgress >= STALL_MS || now - started >= MAX_HOLD_MS) {
        this.cutLoose = true;
        this.endHold();
        this.startSkipping(0);
      }
    }, CHECK_MS);
  }

  private endHold(): void {
    clearInterval(this.holdTimer);
    this.holdTimer = undefined;
    this.holder.release(this);
  }

  private startSkipping(bytes: number): void {
    this.skipping = true;
    this.skipped = bytes;
    this.socket.once('drain', () => this.catchUp());
  }

  private catchUp(): void {
    this.send({ event: 'skipped', bytes: this.skipped });
    this.skipping = false;
    this.skipped = 0;
    const screen = this.redraw?.();
    if (screen !== undefined && screen.length > 0) this.socket.write(dataFrame(screen));
  }
}

// Every feed of a console gets the same chunk in turn: frame it once.
let lastChunk: Buffer | undefined;
let lastFrame: Buffer | undefined;
function framed(chunk: Buffer): Buffer {
  if (chunk !== lastChunk) {
    lastChunk = chunk;
    lastFrame = dataFrame(chunk);
  }
  return lastFrame!;
}
