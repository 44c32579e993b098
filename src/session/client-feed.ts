// One client's view of a console's output: frames written to its socket
// with a bounded queue. A client that stops reading (slow, stopped, gone)
// never holds up the console, the other clients or the logs: past the bound
// its output is skipped, and once its socket drains it is told how much it
// missed and, if it draws a screen, redrawn from the ring buffer.
import type { Socket } from 'node:net';
import type { Subscriber } from './output-hub.js';
import { dataFrame, jsonFrame } from './protocol.js';

/** Default bound on a client's queued output. */
export const DEFAULT_CLIENT_QUEUE = 4 * 1024 * 1024;

export class ClientFeed implements Subscriber {
  private skipped = 0;

  constructor(
    private readonly socket: Socket,
    private readonly limit: number,
    /** What to send after a skip so the client's screen is right again. */
    private readonly redraw?: () => Buffer,
  ) {}

  get behind(): boolean {
    return this.skipped > 0;
  }

  data(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.skipped > 0) {
      this.skipped += chunk.length;
      return;
    }
    if (this.socket.writableLength >= this.limit) {
      this.skipped = chunk.length;
      this.socket.once('drain', () => this.catchUp());
      return;
    }
    this.socket.write(framed(chunk));
  }

  /** Sends a message after any queued output. */
  send(message: object): void {
    if (!this.socket.destroyed) this.socket.write(jsonFrame(message));
  }

  private catchUp(): void {
    this.send({ event: 'skipped', bytes: this.skipped });
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
