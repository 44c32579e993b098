// The other end of the control socket, for the CLI and for library users:
// connect, send one request, then stream. Register 'data' and 'message'
// listeners before request(): frames that arrive with the reply are
// delivered at once. The bytes may go over any duplex stream: the unix
// socket itself (a PolledSocket), or the stdio of an `ssh` running
// `ptyplex dial-stdio` on another machine (ssh-dial.ts); the protocol is
// the same.
import { EventEmitter } from 'node:events';
import nodePath from 'node:path';
import { native } from '../native.js';
import { SysError } from '../sys-error.js';
import { peerOf, untrustedServer } from './peer.js';
import { PolledSocket } from './polled-socket.js';
import { FRAME_JSON, FrameDecoder, MAX_REPLY, ProtocolError, dataFrame, jsonFrame } from './protocol.js';
import { SessionError } from './session-error.js';
import { connectRefusal } from './socket-file.js';
import { upgradingNow } from './upgrade-mark.js';

/**
 * What a client needs of its byte stream: a PolledSocket, or a Node
 * Duplex (ssh's stdio, a test's pipe).
 */
export interface ClientStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  resume(): unknown;
  write(data: Buffer): boolean;
  end(): unknown;
  destroy(): unknown;
  /** Bytes written and not yet taken by the other side's kernel buffer. */
  readonly writableLength: number;
}

/** A server that took the connection but did not answer in time (stopped, wedged). */
export class NotRespondingError extends SessionError {
  constructor(
    readonly session: string,
    readonly pid: number | undefined,
    ms: number,
  ) {
    super(`session "${session}" is not responding (${pid === undefined ? '' : `server pid ${pid}, `}no answer within ${ms / 1000}s)`);
  }
}

/** The server is replacing its program (an upgrade): the request was not served; ask again shortly. */
export class UpgradingError extends SessionError {}

/** How long a command waits for an upgrading server's next program to serve it. */
export const UPGRADE_WAIT_MS = 10_000;
const UPGRADE_RETRY_MS = 100;

/**
 * Runs attempt again while it fails with UpgradingError, for up to ms: a
 * script's `ptyplex send` or `ls` that meets an upgrade waits for the new
 * program instead of failing. Past ms it fails with one line saying so.
 */
export async function whileUpgrading<T>(attempt: () => Promise<T>, ms = UPGRADE_WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof UpgradingError)) throw err;
      if (Date.now() >= deadline) throw new SessionError(`the session server is still upgrading after ${ms / 1000}s; try again later`);
    }
    await new Promise((resolve) => setTimeout(resolve, UPGRADE_RETRY_MS));
  }
}

export interface ControlClientEvents {
  /** Console output. */
  data: [Buffer];
  /** An event from the server (skipped, end, eof). */
  message: [Record<string, unknown>];
  /** The server hung up; `truncated` if it stopped inside a frame; `reason` says why, as one line. */
  close: [{ truncated: boolean; reason: string }];
}

/**
 * A request that also finds its console: sent with `find: true`, so a
 * server without that console says so (`absent`) instead of the client
 * asking it for its list first on a connection of its own, and one that
 * has it says `found` at once, before a reply that may take a while (a
 * send into a console that is not reading). Until then `deadline` (ms)
 * applies, as it did to the list.
 */
export interface ConsoleLookup {
  deadline: number;
  /** The server holds the console. */
  found(): void;
  /** What to throw when it does not (error: the server's own words). */
  absent(error: string): Error;
  /** What to throw when it did not say within the deadline. */
  notResponding(err: NotRespondingError): Error;
  /**
   * Asked when it did not say within the deadline: true if the server
   * answers otherwise that it holds the console (a server from before
   * `find`, busy with the request), which then waits on for its reply.
   */
  held?(): Promise<boolean>;
}

/** How a transport explains its end: called once the stream has closed. */
export type HangupReason = () => string;

export class ControlClient extends EventEmitter<ControlClientEvents> {
  private readonly decoder = new FrameDecoder(MAX_REPLY);
  private reply: ((msg: Record<string, unknown>) => void) | undefined;
  /** True once the server hung up (a reply that failed for that, rather than a refusal). */
  hungUp = false;
  /** Put before the server's refusals: the host they come from. */
  private errorLabel = '';
  /** The next request also finds its console (see ConsoleLookup). */
  private lookup: ConsoleLookup | undefined;

  private constructor(
    readonly stream: ClientStream,
    private name: string,
    hangup: HangupReason,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => undefined); // close follows, and says enough.
    stream.once('close', () => {
      this.hungUp = true;
      const reason = hangup();
      this.reply?.({ ok: false, error: reason });
      this.emit('close', { truncated: this.decoder.buffered > 0, reason });
    });
    // A stream paused by whoever read from it before us (a handshake) must flow.
    stream.resume();
  }

  /**
   * Connects (to a local socket path, or by `to()`: ssh) and sends one
   * request, asking again while the server is upgrading (see
   * whileUpgrading); the client is kept for what follows.
   */
  static ask(to: string | (() => Promise<ControlClient>), message: object, deadline?: number): Promise<{ client: ControlClient; reply: Record<string, unknown> }> {
    const connect = typeof to === 'string' ? () => ControlClient.connect(to) : to;
    return whileUpgrading(async () => {
      const client = await connect();
      try {
        return { client, reply: await client.request(message, deadline) };
      } catch (err) {
        client.destroy();
        // Not answering because its program is being replaced: it will, soon.
        if (err instanceof NotRespondingError && typeof to === 'string' && upgradingNow(to)) throw new UpgradingError(err.message);
        throw err;
      }
    });
  }

  /** What messages call the server: the socket path, or HOST:SESSION. */
  get path(): string {
    return this.name;
  }

  /** Names the server once a transport has learnt which it reached; `host` labels its refusals. */
  nameServer(name: string, host: string): void {
    this.name = name;
    this.errorLabel = `${host}: `;
  }

  /**
   * Connects to a local socket and checks whose server it is, or throws a
   * SessionError that says why not. Async as a connect is elsewhere; a
   * unix socket connects at once or not at all.
   */
  static async connect(path: string): Promise<ControlClient> {
    const fd = native.connectUnix(path);
    if (fd < 0) throw connectRefusal(path, new SysError(fd, 'connect').code);
    const refusal = untrustedServer(fd);
    if (refusal !== undefined) {
      native.close(fd);
      throw new SessionError(`${path}: ${refusal}`);
    }
    return new ControlClient(new PolledSocket(fd), path, () => `the session server at ${path} hung up`);
  }

  /** A client over a stream already connected to a server (ssh's stdio, a test's pipe). */
  static over(stream: ClientStream, name: string, hangup: HangupReason): ControlClient {
    return new ControlClient(stream, name, hangup);
  }

  /**
   * Sends a request; resolves with the reply, throws SessionError when
   * refused (UpgradingError: not served, the server is being upgraded), or NotRespondingError (and hangs up) when a deadline (ms) is
   * given and passes first: the kernel accepts connections for a stopped
   * server, so only a deadline tells it from a slow one.
   */
  request(message: object, deadline?: number): Promise<Record<string, unknown>> {
    const lookup = this.lookup;
    this.lookup = undefined;
    return new Promise((resolve, reject) => {
      const wait = deadline ?? lookup?.deadline;
      const timer =
        wait === undefined
          ? undefined
          : setTimeout(() => {
              const err = new NotRespondingError(nodePath.basename(this.path), this.serverPid(), wait);
              const giveUp = () => {
                this.reply = undefined;
                this.stream.destroy();
                reject(lookup === undefined ? err : lookup.notResponding(err));
              };
              if (lookup?.held === undefined || deadline !== undefined) return giveUp();
              // A server from before `find` never says found: one that
              // answers otherwise that it holds the console is busy with
              // this request (a send into a console slow to read), not silent.
              void lookup.held().then(
                (held) => {
                  if (this.reply !== reply) return;
                  if (held) lookup.found();
                  else giveUp();
                },
                () => this.reply === reply && giveUp(),
              );
            }, wait);
      const reply = (msg: Record<string, unknown>): void => {
        if (lookup !== undefined && msg.found === true && msg.ok === undefined) {
          // Found: the lookup's deadline is over, the request's own is not.
          if (deadline === undefined) clearTimeout(timer);
          lookup.found();
          return;
        }
        clearTimeout(timer);
        this.reply = undefined;
        const error = typeof msg.error === 'string' ? msg.error : 'the server refused the request';
        if (msg.ok === true) resolve(msg);
        else if (msg.upgrading === true) reject(new UpgradingError(error));
        else reject(lookup !== undefined && msg.absent === true ? lookup.absent(error) : new SessionError(error));
      };
      this.reply = reply;
      this.stream.write(jsonFrame(lookup === undefined ? message : { ...message, find: true }));
    });
  }

  /** The next request also finds its console on this server (see ConsoleLookup). */
  findFirst(lookup: ConsoleLookup): void {
    this.lookup = lookup;
  }

  /** Keyboard input for an attached console. */
  sendData(data: Buffer): boolean {
    return this.stream.write(dataFrame(data));
  }

  send(message: object): void {
    this.stream.write(jsonFrame(message));
  }

  /** Says we are done and lets the server hang up. */
  close(): void {
    this.stream.end();
  }

  /** Hangs up now, without waiting for the server. */
  destroy(): void {
    this.stream.destroy();
  }

  // A refusal from a server on another host says which host.
  private labelled(msg: Record<string, unknown>): Record<string, unknown> {
    return this.errorLabel !== '' && msg.ok === false && typeof msg.error === 'string' ? { ...msg, error: this.errorLabel + msg.error } : msg;
  }

  /** The server's pid, as the kernel recorded it when it accepted us (a local socket only). */
  private serverPid(): number | undefined {
    return this.stream instanceof PolledSocket ? peerOf(this.stream.fd)?.pid : undefined;
  }

  private receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.reply?.({ ok: false, error: `the server sent garbage: ${(err as ProtocolError).message}` });
      this.stream.destroy();
      return;
    }
    for (const f of frames) {
      if (f.type !== FRAME_JSON) this.emit('data', f.data);
      else if (this.reply !== undefined) this.reply(this.labelled(f.message));
      else this.emit('message', this.labelled(f.message));
    }
  }
}
