// One browser terminal, bridged to one console: a WebSocket on one side, an
// attach on the session's control socket on the other. Output goes to the
// page as binary messages; the page says how much its terminal has drawn
// (xterm.js write callbacks, the running total). The bridge keeps up with
// the session whatever the page does, so a page never paces a console:
// while more than HIGH_WATER is undrawn it stops sending and only counts
// what it skips, keeping the latest REDRAW_BYTES; every REDRAW_MS, once
// the page is below LOW_WATER, it says how much was skipped and sends that
// tail to redraw from. A browser drawing a flood thus draws a little of it
// a few times a second, not all of it as fast as it can. Whatever the page
// sends is checked here; a bad message is answered and dropped, for this
// page alone. The console is followed through a ConsoleFollower: across a
// server upgrade the page keeps its socket and its terminal, and output
// resumes from the byte it had reached (nothing twice, nothing lost).
import type { WebSocket, RawData } from 'ws';
import { ConsoleFollower } from '../console-follower.js';
import { NotRespondingError, type ControlClient } from '../control-client.js';
import { SessionError } from '../session-error.js';
import { sendOrDrop } from './page-backlog.js';

/** Undrawn output (sent minus acknowledged) past which output is skipped. */
export const HIGH_WATER = 512 * 1024;
/** ... and below which a page that fell behind is redrawn. */
export const LOW_WATER = 128 * 1024;
/** The recent output a page that skipped is redrawn from. */
const REDRAW_BYTES = 64 * 1024;
/** How often a page that fell behind is redrawn while output floods. */
const REDRAW_MS = 250;
/** Keys queued for the session server past which more are dropped. */
const MAX_INPUT_QUEUE = 1024 * 1024;
/** The largest window a page may ask for. */
export const MAX_COLS = 1000;
export const MAX_ROWS = 500;
/** How long the session server may take to answer an attach. */
const REPLY_DEADLINE_MS = 5000;

export interface BridgeOptions {
  /** A new connection to the session's server: its socket here, or over ssh. */
  connect: () => Promise<ControlClient>;
  console: string;
  /** Keys and window size reach the console only when the gateway was started with --write. */
  write: boolean;
  cols: number;
  rows: number;
}

export class ConsoleBridge {
  private sent = 0;
  private acked = 0;
  /** Set while skipping: what was skipped, the latest output, whether more came since the last redraw. */
  private skip: { bytes: number; tail: Buffer[]; tailBytes: number; fresh: boolean; timer: NodeJS.Timeout } | undefined;
  private ended = false;
  private toldReadOnly = false;
  /** Set when the follower is opened (its listeners go in before the request). */
  private client!: ConsoleFollower;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: BridgeOptions,
  ) {}

  private listen(client: ConsoleFollower): void {
    this.client = client;
    client.on('data', (data) => this.output(data));
    client.on('message', (msg) => this.event(msg));
    client.on('upgrading', () => say(this.ws, { type: 'upgrading' }));
    client.on('resumed', () => say(this.ws, { type: 'resumed', write: this.options.write }));
    client.on('close', (how) => this.serverGone(how.lost));
  }

  /** Attaches (or, for a console that has ended, replays it) and starts relaying. */
  static async open(ws: WebSocket, options: BridgeOptions): Promise<void> {
    const { console: name, cols, rows } = options;
    let bridge: ConsoleBridge;
    try {
      bridge = await ConsoleBridge.request(ws, options, { op: 'attach', console: name, readOnly: !options.write, cols, rows }).catch((err: unknown) => {
        if (!(err instanceof SessionError) || err instanceof NotRespondingError) throw err;
        // Ended (or not started yet): what it printed, then how it ended.
        return ConsoleBridge.request(ws, { ...options, write: false }, { op: 'tee', console: name, follow: false });
      });
    } catch (err) {
      say(ws, { type: 'error', error: err instanceof Error ? err.message : String(err) });
      ws.close(4000, 'refused');
      return;
    }
    if (ws.readyState !== ws.OPEN) return bridge.stop();
    say(ws, { type: 'attached', console: name, write: bridge.options.write });
    ws.on('close', () => bridge.stop());
    ws.on('message', (raw, isBinary) => bridge.fromPage(raw, isBinary));
  }

  // A bridge whose request was answered; its listeners are in place before
  // the request, since output comes with the reply.
  private static async request(ws: WebSocket, options: BridgeOptions, message: Record<string, unknown>): Promise<ConsoleBridge> {
    const bridge = new ConsoleBridge(ws, options);
    await ConsoleFollower.open(options.connect, message, (f) => bridge.listen(f), REPLY_DEADLINE_MS);
    return bridge;
  }

  private output(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.skip === undefined && this.behind() + data.length <= HIGH_WATER) {
      this.sendData(data);
      return;
    }
    this.skip ??= { bytes: 0, tail: [], tailBytes: 0, fresh: true, timer: setInterval(() => this.redraw(false), REDRAW_MS) };
    const { skip } = this;
    skip.bytes += data.length;
    skip.fresh = true;
    skip.tail.push(data);
    skip.tailBytes += data.length;
    while (skip.tailBytes - skip.tail[0]!.length >= REDRAW_BYTES) skip.tailBytes -= skip.tail.shift()!.length;
  }

  private sendData(data: Buffer): void {
    this.ws.send(data, { binary: true });
    this.sent += data.length;
  }

  // Output the page has not drawn yet: by its acks, or by what the
  // WebSocket still holds (a page that acks what it never received).
  private behind(): number {
    return Math.max(this.sent - this.acked, this.ws.bufferedAmount);
  }

  // A page that caught up is told what it missed and given the latest
  // output to draw; once the console has been quiet for a whole period
  // (or it ended: `now`), the page follows live output again.
  private redraw(now: boolean): void {
    const { skip } = this;
    if (skip === undefined || (!now && this.behind() >= LOW_WATER)) return;
    if (skip.bytes > 0) {
      const tail = Buffer.concat(skip.tail, skip.tailBytes);
      const redraw = tail.subarray(Math.max(0, tail.length - REDRAW_BYTES));
      say(this.ws, { type: 'skipped', bytes: Math.max(0, skip.bytes - redraw.length) });
      this.sendData(redraw);
      skip.bytes = 0;
    }
    if (now || !skip.fresh) {
      clearInterval(skip.timer);
      this.skip = undefined;
    } else {
      skip.fresh = false;
    }
  }

  private event(msg: Record<string, unknown>): void {
    // The end comes after the output before it.
    if (msg.event === 'end' || msg.event === 'eof') this.redraw(true);
    if (msg.event === 'end') {
      this.ended = true;
      say(this.ws, { type: 'end', description: String(msg.description) });
    } else if (msg.event === 'eof') {
      this.ended = true;
      say(this.ws, { type: 'end', description: `${this.options.console} has not started` });
    } else if (msg.event === 'skipped') {
      say(this.ws, { type: 'skipped', bytes: msg.bytes });
    } else if (msg.event === 'hung-up') {
      say(this.ws, { type: 'hung-up' });
    } else if (msg.event === 'input-dropped') {
      say(this.ws, { type: 'input-dropped' });
    } else if (msg.ok === false) {
      say(this.ws, { type: 'error', error: String(msg.error) });
    }
  }

  // The server hung up: after the console's end, that is the end; else the
  // session server went away, or did not come back from an upgrade (the
  // page says so and tries again).
  private serverGone(lost: string | undefined): void {
    if (!this.ended && lost !== undefined) say(this.ws, { type: 'error', error: lost });
    if (!this.ended) say(this.ws, { type: 'gone' });
    this.ws.close(this.ended ? 1000 : 1011, this.ended ? 'ended' : 'session server gone');
    this.stop();
  }

  private stop(): void {
    clearInterval(this.skip?.timer);
    this.skip = undefined;
    this.client.destroy();
  }

  private fromPage(raw: RawData, isBinary: boolean): void {
    let msg: unknown;
    try {
      msg = isBinary ? undefined : JSON.parse(raw.toString());
    } catch {
      msg = undefined;
    }
    if (typeof msg !== 'object' || msg === null) return this.refuse('a message that is not a JSON object');
    const m = msg as Record<string, unknown>;
    if (m.type === 'ack') return this.ack(m.bytes);
    if (m.type === 'input') return this.input(m.data);
    if (m.type === 'resize') return this.resize(m.cols, m.rows);
    // Quoted in part: an answer is never much longer than the page's question's type.
    this.refuse(`unknown message type ${JSON.stringify(m.type)?.slice(0, 40)}`);
  }

  // Capped: an answer never grows with what the page sent (a long bogus type or size).
  private refuse(why: string): void {
    say(this.ws, { type: 'error', error: `refused: ${why.slice(0, 200)}` });
  }

  // Acknowledgements are running totals of bytes drawn: one that goes
  // backwards or past what was sent is a broken or lying page.
  private ack(bytes: unknown): void {
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < this.acked || bytes > this.sent) return this.refuse('a bad ack');
    this.acked = bytes;
  }

  private input(data: unknown): void {
    if (typeof data !== 'string') return this.refuse('input that is not a string');
    if (!this.options.write) {
      if (!this.toldReadOnly) say(this.ws, { type: 'error', error: 'this page is read-only (ptyplex web without --write): keys are not sent' });
      this.toldReadOnly = true;
      return;
    }
    if (this.client.pendingInput > MAX_INPUT_QUEUE) return void say(this.ws, { type: 'input-dropped' });
    this.client.sendData(Buffer.from(data, 'utf8'));
  }

  private resize(cols: unknown, rows: unknown): void {
    if (!inRange(cols, MAX_COLS) || !inRange(rows, MAX_ROWS)) return this.refuse(`a window of ${String(cols)}x${String(rows)} (from 1x1 to ${MAX_COLS}x${MAX_ROWS})`);
    if (this.options.write) this.client.send({ op: 'resize', cols, rows });
  }
}

function inRange(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

// Answers and events count against what the page has left unread (page-backlog.ts).
function say(ws: WebSocket, message: object): void {
  sendOrDrop(ws, JSON.stringify(message));
}
