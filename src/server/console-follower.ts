// A client following one console (attach, tee; later web and ssh) that
// rides out a server upgrade: told "server upgrading" with the output
// offset it has reached and how many of its input bytes the server took,
// it reconnects (retrying for a few seconds), asks for the output from
// that offset (nothing lost, nothing shown twice), and sends again the
// input the server had not taken, then what was typed meanwhile: every
// key reaches the console once. One that cannot reconnect in time ends
// with `close` carrying the reason. In time: RECONNECT_MS past the last
// answer from the server saying it is still upgrading (it is alive, and
// bound by its own deadlines), LONGEST_UPGRADE_MS at most in all.
import { EventEmitter } from 'node:events';
import { ControlClient, UpgradingError, whileUpgrading } from './control-client.js';
import { LONGEST_UPGRADE_MS } from './upgrade-deadline.js';

/** How long reconnecting may take, past the server's last "upgrading", before the client gives up. */
export const RECONNECT_MS = 10_000;
const RETRY_MS = 100;
/** Input kept until the server has taken it (what it can have unread is far less). */
const MAX_HISTORY = 1024 * 1024;

export interface FollowerEvents {
  data: [Buffer];
  /** Events from the server (end, eof, skipped, hung-up ...). */
  message: [Record<string, unknown>];
  /** The server is upgrading: output pauses until `resumed`. */
  upgrading: [];
  resumed: [];
  /** The end: `lost` says why, when reconnecting failed. */
  close: [{ truncated: boolean; reason?: string; lost?: string }];
}

export class ConsoleFollower extends EventEmitter<FollowerEvents> {
  private client!: ControlClient;
  private sent = 0;
  private history: Buffer[] = [];
  private historyBytes = 0;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private resumeAt: { offset: number; input: number } | undefined;
  private closing = false;
  private reconnecting = false;
  private lastMessage: object | undefined;
  /** The server's answer to the request (to the latest one, after an upgrade). */
  reply: Record<string, unknown> = {};

  private constructor(
    /** A new connection to the session's server: a local socket, or ssh. */
    private readonly connect: () => Promise<ControlClient>,
    /** The request (attach or tee) that starts following; `from` is added on resuming. */
    private readonly request: Record<string, unknown>,
    private readonly resumeKey: 'from' | 'offset',
    /** How long a server may take to answer the request (none: as long as it likes). */
    private readonly deadline: number | undefined,
  ) {
    super();
  }

  /**
   * Connects and sends the request; throws SessionError as ControlClient
   * does. listen registers the caller's listeners first: output comes with the reply.
   * With a deadline (ms), a server that takes longer to answer (the request,
   * or it again on reconnecting) is given up on (NotRespondingError).
   */
  static async open(to: string | (() => Promise<ControlClient>), request: Record<string, unknown>, listen: (f: ConsoleFollower) => void, deadline?: number): Promise<ConsoleFollower> {
    const connect = typeof to === 'string' ? () => ControlClient.connect(to) : to;
    const f = new ConsoleFollower(connect, request, request.op === 'tee' ? 'offset' : 'from', deadline);
    let listening = false;
    // A server being upgraded asks us to come back: the refused tries' hang-ups are not our end.
    f.reconnecting = true;
    // A server already upgrading is waited for as long as its upgrade may last.
    await whileUpgrading(async () => {
      const client = await connect();
      f.bind(client);
      if (!listening) listen(f);
      listening = true;
      try {
        f.reply = await client.request(request, deadline);
      } catch (err) {
        client.removeAllListeners();
        client.destroy();
        throw err;
      }
    }, LONGEST_UPGRADE_MS);
    f.reconnecting = false;
    return f;
  }

  /** Keyboard input: sent now, or once reconnected. */
  sendData(data: Buffer): void {
    if (this.resumeAt !== undefined) {
      this.queued.push(data);
      this.queuedBytes += data.length;
      return;
    }
    this.remember(data);
    this.client.sendData(data);
  }

  /** Input not yet written to the server: held during an upgrade, or waiting in the stream. */
  get pendingInput(): number {
    return this.queuedBytes + this.client.stream.writableLength;
  }

  /** A message (resize, detach): a resize during an upgrade is sent once reconnected. */
  send(message: object): void {
    if (this.resumeAt !== undefined) this.lastMessage = message;
    else this.client.send(message);
  }

  close(): void {
    this.closing = true;
    this.client.close();
  }

  destroy(): void {
    this.closing = true;
    this.client.destroy();
  }

  private bind(client: ControlClient): void {
    this.client = client;
    client.on('data', (d) => this.emit('data', d));
    client.on('message', (msg) => {
      if (msg.event !== 'upgrading') {
        this.emit('message', msg);
        return;
      }
      this.resumeAt = { offset: Number(msg.offset), input: Number(msg.input) };
      this.emit('upgrading');
    });
    client.once('close', (how) => {
      if (this.reconnecting) return; // a try that failed: the loop goes on
      if (this.resumeAt === undefined || this.closing) this.emit('close', how);
      else void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    const at = this.resumeAt!;
    const began = Date.now();
    let deadline = began + RECONNECT_MS;
    let why = 'no answer';
    this.reconnecting = true;
    while (!this.closing) {
      try {
        const client = await this.connect();
        try {
          this.bind(client);
          this.resumeAt = at; // bind keeps it: input stays queued until the reply
          this.reply = await client.request({ ...this.request, [this.resumeKey]: at.offset }, this.deadline);
          // Closed while this connection was being made: it must not live on unowned.
          if (this.closing) {
            client.destroy();
            break;
          }
          this.reconnecting = false;
          this.resumed(at);
          return;
        } catch (err) {
          client.removeAllListeners();
          client.destroy();
          throw err;
        }
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
        if (err instanceof UpgradingError) deadline = Math.min(Date.now() + RECONNECT_MS, began + LONGEST_UPGRADE_MS);
      }
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    this.reconnecting = false;
    if (this.closing) {
      this.emit('close', { truncated: false });
      return;
    }
    this.emit('close', { truncated: false, lost: `could not reconnect to the upgrading session server within ${Math.round((Date.now() - began) / 1000)}s (${why})` });
  }

  // Input the old program did not take goes first, then what was typed since.
  private resumed(at: { offset: number; input: number }): void {
    this.resumeAt = undefined;
    const unsent = this.unacknowledged(at.input);
    this.history = [];
    this.historyBytes = 0;
    this.sent = at.input;
    for (const d of [unsent, ...this.queued]) if (d.length > 0) this.sendData(d);
    this.queued = [];
    this.queuedBytes = 0;
    if (this.lastMessage !== undefined) this.client.send(this.lastMessage);
    this.lastMessage = undefined;
    this.emit('resumed');
  }

  private remember(data: Buffer): void {
    this.sent += data.length;
    this.history.push(data);
    this.historyBytes += data.length;
    while (this.historyBytes - (this.history[0]?.length ?? 0) >= MAX_HISTORY) this.historyBytes -= this.history.shift()!.length;
  }

  // The bytes sent after the first `taken` ones.
  private unacknowledged(taken: number): Buffer {
    const all = Buffer.concat(this.history);
    const first = this.sent - all.length;
    return all.subarray(Math.max(0, taken - first));
  }
}
