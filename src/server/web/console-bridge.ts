// One browser terminal, bridged to one console: a WebSocket on one side, an
// attach on the session's control socket on the other. Output goes to the
// page as binary messages; the page says how much its terminal has drawn
// (xterm.js write callbacks, the running total). The bridge keeps up with
// the session whatever the page does, so a page never paces a console.
// A page draws live output up to LIVE_BYTES per REDRAW_MS (a screenful
// many times over) while it keeps up (less than HIGH_WATER undrawn); past
// either, the bridge stops sending and only counts what it skips, keeping
// the latest output; every REDRAW_MS, once the page is below LOW_WATER,
// it says how much was skipped and sends that tail to redraw from. A
// flood is thus drawn a few times a second, a screen or so each time,
// never as fast as the browser can: on a machine with few cores, every
// second the browser spends drawing is taken from the console's program.
// While it skips, the bridge asks the session server to send it nothing
// (pause-output) rather than read and drop the flood; each REDRAW_MS it
// asks for output again (resume-output), and the server says how much it
// skipped and sends the latest output from its ring to redraw from.
// Whatever the page sends is checked here; a bad message is answered and
// dropped, for this page alone. The console is followed through a
// ConsoleFollower: across a server upgrade the page keeps its socket and
// its terminal, and output resumes from the byte it had reached (nothing
// twice, nothing lost).
import { performance } from 'node:perf_hooks';
import type { WebSocket, RawData } from 'ws';
import { ConsoleFollower } from '../console-follower.js';
import { NotRespondingError, type ControlClient } from '../control-client.js';
import { SessionError } from '../session-error.js';
import { sendOrDrop } from './page-backlog.js';

/** Undrawn output (sent minus acknowledged) past which output is skipped. */
export const HIGH_WATER = 512 * 1024;
/** ... and below which a page that fell behind is redrawn. */
export const LOW_WATER = 128 * 1024;
/** The recent output a page that skipped is redrawn from when the flood is over. */
const REDRAW_BYTES = 64 * 1024;
/** How often a page that fell behind is redrawn while output floods. */
const REDRAW_MS = 250;
/** Output per REDRAW_MS that a page is sent live; more is a flood, drawn by redraws. */
export const LIVE_BYTES = 16 * 1024;
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
  /** Output in the current period of REDRAW_MS (live or skipped), and when that period began. */
  private period = { bytes: 0, at: 0 };
  /**
   * The replay (the output from before the page came, or from before an
   * upgrade) is not live output: what comes before the server's reply is
   * known (`replaying`) is replay, and then what is left of the length the reply gives.
   */
  private replaying = true;
  private replaySeen = 0;
  private replayLeft = 0;
  /** Set while skipping: what was skipped, the latest output, the output since the last redraw, whether that redraw was of the last lines only. */
  private skip: { bytes: number; tail: Buffer[]; tailBytes: number; fresh: number; partial: boolean; timer: NodeJS.Timeout } | undefined;
  /** Whether the session server was asked to send nothing (paused), or to send again and has not answered (resuming). */
  private server: 'sending' | 'paused' | 'resuming' = 'sending';
  /** The length of the redraw the server announced after resuming, until it is here. */
  private redrawDue = 0;
  private upgrading = false;
  /** Lines a redraw during a flood gives: two of the page's screens (at attach). */
  private readonly redrawLines: number;
  private ended = false;
  private toldReadOnly = false;
  /** Set when the follower is opened (its listeners go in before the request). */
  private client!: ConsoleFollower;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: BridgeOptions,
  ) {
    this.redrawLines = 2 * Math.max(24, options.rows);
  }

  private listen(client: ConsoleFollower): void {
    this.client = client;
    client.on('data', (data) => this.output(data));
    client.on('message', (msg) => this.event(msg));
    client.on('upgrading', () => {
      // The next program knows nothing of a pause: it sends from the offset reached.
      this.upgrading = true;
      this.replaying = true;
      this.server = 'sending';
      this.redrawDue = 0;
      say(this.ws, { type: 'upgrading' });
    });
    client.on('resumed', () => {
      this.upgrading = false;
      this.replayed(client.reply);
      say(this.ws, { type: 'resumed', write: this.options.write });
    });
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
    const follower = await ConsoleFollower.open(options.connect, message, (f) => bridge.listen(f), REPLY_DEADLINE_MS);
    bridge.replayed(follower.reply);
    return bridge;
  }

  private replayed(reply: Record<string, unknown>): void {
    this.replaying = false;
    this.replayLeft = Math.max(0, (Number(reply.replay) || 0) - this.replaySeen);
    this.replaySeen = 0;
  }

  private output(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.redrawDue > 0) return this.serverRedraw(data);
    const replay = this.replaying ? data.length : Math.min(this.replayLeft, data.length);
    if (this.replaying) this.replaySeen += replay;
    else this.replayLeft -= replay;
    if (this.skip === undefined && this.behind() + data.length <= HIGH_WATER && this.inPeriod(data.length - replay) <= LIVE_BYTES) {
      this.sendData(data);
      return;
    }
    if (this.skip === undefined) {
      this.skip = { bytes: 0, tail: [], tailBytes: 0, fresh: 0, partial: false, timer: setInterval(() => this.tick(), REDRAW_MS) };
      this.pauseServer();
    }
    const { skip } = this;
    skip.bytes += data.length;
    skip.fresh += data.length;
    skip.tail.push(data);
    skip.tailBytes += data.length;
    while (skip.tailBytes - skip.tail[0]!.length >= REDRAW_BYTES) skip.tailBytes -= skip.tail.shift()!.length;
  }

  // The server's redraw after a pause: the latest output, all the tail there is.
  private serverRedraw(data: Buffer): void {
    const due = this.redrawDue;
    this.redrawDue = 0;
    if (this.skip === undefined) return;
    if (data.length === due) {
      this.skip.tail = [data];
      this.skip.tailBytes = data.length;
    }
    this.redraw(false, true);
  }

  // Asks the server to send this page's console output no more, while skipping.
  private pauseServer(): void {
    if (this.server !== 'sending' || this.upgrading || this.client.reply.pause !== true) return;
    this.server = 'paused';
    this.client.send({ op: 'pause-output' });
  }

  // Every REDRAW_MS while skipping: a page that caught up is redrawn, from
  // what the server sends when asked again if it was paused.
  private tick(): void {
    if (this.skip === undefined || this.behind() >= LOW_WATER || this.server === 'resuming') return;
    if (this.server === 'sending') return this.redraw(false);
    this.server = 'resuming';
    this.client.send({ op: 'resume-output' });
  }

  // The server sends again: asked to, or because the console ended (it
  // gives a paused client the end of the output before the end).
  private resumed(msg: Record<string, unknown>): void {
    if (this.server === 'sending') return;
    this.server = 'sending';
    const skipped = Number(msg.skipped) || 0;
    if (this.skip !== undefined) {
      this.skip.bytes += skipped;
      this.skip.fresh += skipped;
    }
    this.redrawDue = Number(msg.redraw) || 0;
    if (this.redrawDue === 0) this.redraw(false, true);
  }

  // The output so far in the current period of REDRAW_MS, this chunk's included.
  private inPeriod(bytes: number): number {
    const now = performance.now();
    if (now - this.period.at >= REDRAW_MS) this.period = { bytes: 0, at: now };
    return (this.period.bytes += bytes);
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
  // output to draw: during a flood, its last two screens of lines (and the
  // server is paused again); once the console has printed no more than a
  // page is sent live in a whole period (or it ended: `now`), the last
  // REDRAW_BYTES, and the page follows live output again. `due`: the page
  // was found caught up when the server was asked to send again.
  private redraw(now: boolean, due = false): void {
    const { skip } = this;
    if (skip === undefined || (!now && !due && this.behind() >= LOW_WATER)) return;
    const over = now || skip.fresh <= LIVE_BYTES;
    if (skip.bytes > 0 || (over && skip.partial)) {
      const tail = Buffer.concat(skip.tail, skip.tailBytes);
      const kept = tail.subarray(Math.max(0, tail.length - REDRAW_BYTES));
      const redraw = over ? kept : lastLines(kept, this.redrawLines);
      say(this.ws, { type: 'skipped', bytes: Math.max(0, skip.bytes - redraw.length) });
      this.sendData(redraw);
      skip.bytes = 0;
      skip.partial = !over;
    }
    if (over) {
      clearInterval(skip.timer);
      this.skip = undefined;
    } else {
      skip.fresh = 0;
      this.pauseServer();
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
    } else if (msg.event === 'output-resumed') {
      this.resumed(msg);
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

/** The end of `data` from the start of its last `n` lines (all of it if it has fewer). */
export function lastLines(data: Buffer, n: number): Buffer {
  let at = data.length;
  // A line ending at the very end is the last line, not the start of an empty one.
  if (data[at - 1] === 0x0a) at--;
  for (let i = 0; i < n; i++) {
    // (A negative offset would count from the end.)
    at = at > 0 ? data.lastIndexOf(0x0a, at - 1) : -1;
    if (at < 0) return data;
  }
  return data.subarray(at + 1);
}

function inRange(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

// Answers and events count against what the page has left unread (page-backlog.ts).
function say(ws: WebSocket, message: object): void {
  sendOrDrop(ws, JSON.stringify(message));
}
