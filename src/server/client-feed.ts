// One client's view of a console's output: frames written to its socket
// with a bounded queue. A client that falls a queue behind (a burst, a busy
// machine) holds the console while it catches up, so a client that keeps
// up on the whole loses nothing. Slow holding is rationed: time held while
// the client drains slower than FAST_DRAIN (a sixteenth of its queue per
// check, 10 MB/s for 4 MiB) is charged to a credit of HOLD_CREDIT_MS that
// refills at a tenth of real time, so a slow viewer cannot pace a console
// for long, while a fast one that was merely descheduled pays nothing. A
// client that stalls (no progress for STALL_MS) or spends its credit is cut
// loose for good: it never holds the console again, the rest of its backlog is
// skipped, and once its socket drains it is told how much it missed and,
// if it draws a screen, redrawn from the ring buffer. Only time the server's
// loop was there to write counts against a client: never its own stalls.
// A client may also ask to be sent nothing for a while (pause): a page
// that is not drawing a flood needs none of it, and every byte the server
// copies to it, and it reads only to drop, is CPU the console's program on
// a small machine does not get. On resume it is told how much it missed
// and given the same redraw.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Holder, Subscriber } from '../session/output-hub.js';
import { dataFrame, dataHeader, jsonFrame } from './protocol.js';
import { unsentBytes } from './unix-socket.js';

/** Default bound on a client's queued output. */
export const DEFAULT_CLIENT_QUEUE = 4 * 1024 * 1024;
/** A held client that sends nothing on for this long is stalled. */
const STALL_MS = 250;
/** How long a client may hold the console in all, refilled at REFILL of real time. */
const HOLD_CREDIT_MS = 1000;
const REFILL = 0.1;
const CHECK_MS = 25;
/** A check later than this was kept from running by the server itself. */
const LAG_MS = 75;

export class ClientFeed implements Subscriber {
  private skipping = false;
  private skipped = 0;
  private cutLoose = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private credit = HOLD_CREDIT_MS;
  private creditAt = Date.now();
  /** Set while the client asked to be sent nothing: what it missed since. */
  private paused: { skipped: number } | undefined;

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
    if (this.paused !== undefined) {
      this.paused.skipped += chunk.length;
      return;
    }
    if (this.skipping) {
      this.skipped += chunk.length;
      return;
    }
    if (this.socket.writableLength >= this.limit && this.cutLoose) {
      this.startSkipping(chunk.length);
      return;
    }
    // Header and payload in one writev, the payload not copied into a frame.
    this.socket.cork();
    this.socket.write(headerOf(chunk));
    this.socket.write(chunk);
    this.socket.uncork();
    if (this.socket.writableLength >= this.limit && !this.cutLoose) this.startHold();
  }

  /** Sends a message after any queued output. */
  send(message: object): void {
    if (!this.socket.destroyed) this.socket.write(jsonFrame(message));
  }

  /** Sends nothing more until resume(); never holds the console meanwhile. */
  pause(): void {
    this.paused ??= { skipped: 0 };
  }

  /**
   * Sends output again: first `output-resumed` with the bytes missed and
   * the length of the redraw that follows it (the recent output, from the
   * ring buffer), if anything was missed. A no-op unless paused.
   */
  resume(): void {
    const { paused } = this;
    if (paused === undefined) return;
    this.paused = undefined;
    if (paused.skipped > 0 && this.socket.writableLength >= this.limit) {
      // Still behind on what it was sent: its redraw waits for its socket
      // to drain, as any client's that fell behind does. Otherwise a client
      // that asks again and again without reading would be queued a
      // redraw per request, as much memory in the server as it liked.
      this.send({ event: 'output-resumed', skipped: 0, redraw: 0 });
      if (this.skipping) this.skipped += paused.skipped;
      else this.startSkipping(paused.skipped);
      return;
    }
    const screen = paused.skipped > 0 ? this.redraw?.() : undefined;
    this.send({ event: 'output-resumed', skipped: paused.skipped, redraw: screen?.length ?? 0 });
    if (screen !== undefined && screen.length > 0 && !this.socket.destroyed) this.socket.write(dataFrame(screen));
  }

  // Holds the console until the queue is down to half, watching progress
  // and spending credit.
  private startHold(): void {
    if (this.holdTimer !== undefined) return;
    this.refill();
    if (this.credit <= 0) {
      this.cutOff();
      return;
    }
    this.holder.hold(this);
    let stalled = 0;
    let lastTick = performance.now();
    let last = this.socket.writableLength;
    let lastUnsent = unsentBytes(this.socket);
    this.holdTimer = setInterval(() => {
      const queued = this.socket.writableLength;
      const unsent = unsentBytes(this.socket);
      // What the reader took since the last check: writableLength moves
      // only when a whole batched write is done; libuv's count as it goes.
      const drained = Math.max(last - queued, lastUnsent - unsent, 0);
      const dt = this.loopTime(lastTick);
      lastTick = performance.now();
      this.creditAt = Date.now();
      // Charged only while draining slower than a sixteenth of the queue per check.
      if (drained * CHECK_MS < (this.limit / 16) * dt) this.credit -= dt;
      if (queued <= this.limit / 2) {
        this.endHold();
        return;
      }
      stalled = drained > 0 ? 0 : stalled + dt;
      last = queued;
      lastUnsent = unsent;
      if (stalled >= STALL_MS || this.credit <= 0) this.cutOff();
    }, CHECK_MS);
  }

  // The time since the last check that counts against the client. A check
  // that comes more than LAG_MS late measures the server's own lag (GC, a
  // long turn, the process stopped), not the client: only one period of it
  // counts. After such a lag libuv runs this timer before the socket writes
  // that were due, so the reader shows no progress yet however fast it read.
  private loopTime(lastTick: number): number {
    const elapsed = performance.now() - lastTick;
    return elapsed - CHECK_MS > LAG_MS ? CHECK_MS : elapsed;
  }

  private refill(): void {
    const now = Date.now();
    this.credit = Math.min(HOLD_CREDIT_MS, this.credit + (now - this.creditAt) * REFILL);
    this.creditAt = now;
  }

  private cutOff(): void {
    this.cutLoose = true;
    this.endHold();
    this.startSkipping(0);
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

// Every feed of a console gets the same chunk in turn: make its frame
// header once.
let lastChunk: Buffer | undefined;
let lastHeader: Buffer | undefined;
function headerOf(chunk: Buffer): Buffer {
  if (chunk !== lastChunk) {
    lastChunk = chunk;
    lastHeader = dataHeader(chunk.length);
  }
  return lastHeader!;
}
