// The session's control socket: every command that reads or changes a
// session (ls, attach, tee, send, expect, new, kill-server) is a client of
// it. Each connection sends one JSON request; attach and tee then stream.
// Only the session's own user (and root) is served: the kernel's record of
// the peer's uid is checked before anything is read. A client that sends
// garbage, too much, or nothing is told why and dropped; everyone else is
// unaffected.
import net, { type Socket } from 'node:net';
import { ConsoleHungUpError } from '../console/errors.js';
import { native } from '../native.js';
import type { AdoptRequest } from './adoption.js';
import { ClientFeed, DEFAULT_CLIENT_QUEUE } from './client-feed.js';
import { nameProblem, type ConsoleSpec } from '../config/console-spec.js';
import { describeEnd } from '../session/exit-status.js';
import { FRAME_DATA, FRAME_JSON, FrameDecoder, MAX_DATA, ProtocolError, dataFrame, jsonFrame, type Frame } from './protocol.js';
import { Request } from './request.js';
import { scriptsProblem, stopOrder, type ConsoleScript, type ScriptJson } from '../config/stop-script.js';
import type { Session } from '../session/session.js';
import type { SessionConsole } from '../session/session-console.js';
import { SessionError } from './session-error.js';
import { clearUpgrading } from './upgrade-mark.js';
import { myUid, trustedUid } from './peer.js';
import { heldSocket, listenOnFd, listenUnix, peerUid, serverFd, socketFd, type BoundSocket, type HeldSocket } from './unix-socket.js';
import type { ConsoleInfo, ServerLimits, SessionInfo } from './session-info.js';
import { openFileLimit, ptyMax } from '../console/limits.js';
import type { Supervisor } from '../session/supervisor.js';
import { notStartedInfo, restartConsoles, startConsoles, supervisionOf, type SuperviseOps } from './supervise-ops.js';

export interface ControlServerOptions {
  path: string;
  name: string;
  /** Bound on each client's queued output (bytes). */
  clientQueue?: number;
  /** How long a new connection may take to send its request (ms). */
  requestTimeout?: number;
  /** Starts a console asked for by `ptyplex new`. */
  startConsole(spec: ConsoleSpec): SessionConsole;
  /** `ptyplex adopt`: listen on a console socket; resolves once listening. */
  adopt(req: AdoptRequest): Promise<void>;
  /** `ptyplex stop`: each named console's script, the client's where it sent one. */
  scriptsFor(names: string[], custom: Record<string, ScriptJson>): Map<string, ConsoleScript>;
  /** What `run` supervises (start order, readiness, restarts), if anything. */
  supervisor?: Supervisor;
  /** `ptyplex kill-server`: stop every console; the server closes when they end. */
  killServer(): void;
  /** The server's own messages: a refused peer, a dropped client. */
  log(line: string): void;
  /** ptyplex's version, and how many upgrades this server has been through. */
  version?: string;
  generation?: number;
  /** `ptyplex upgrade`: replaces the server's program; resolves only if it failed, with why. */
  upgrade?(): Promise<string>;
}

/** A client following a console: what an upgrade tells it to resume from. */
interface Follower {
  console: SessionConsole;
  /** Keyboard input bytes taken from it (dropped ones count: it need not send them again). */
  input: number;
}

type FrameHandler = (frame: Frame) => void;

/** Keyboard input a console that is not reading may have queued for it. */
const MAX_INPUT_BACKLOG = 1024 * 1024;

/** The kernel buffer asked for each client's socket. */
const SEND_BUFFER = 1024 * 1024;

/** How much recent output redraws a client that skipped ahead. */
const REDRAW_BYTES = 64 * 1024;

/**
 * What an attached client may leave unread beyond its replay and its
 * output queue: a chunk, a redraw and many answers to what it sent.
 */
const UNREAD_SLACK = 4 * 1024 * 1024;

export class ControlServer {
  private server: net.Server | undefined;
  private bound: BoundSocket | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly attached = new Map<SessionConsole, number>();
  /** Replies still being worked on (stop): answered before the server closes. */
  private readonly busy = new Set<Promise<unknown>>();
  private readonly followers = new Map<Socket, Follower>();
  /** Connections whose request has not come yet. */
  private readonly unserved = new Set<Socket>();
  /** Set while an upgrade is under way: new requests are refused, input is not read. */
  private upgrading = false;

  constructor(
    private readonly session: Session,
    private readonly options: ControlServerOptions,
  ) {}

  get path(): string {
    return this.options.path;
  }

  /** Binds the socket (mode 0600), replacing a stale one, refusing a live one. */
  async listen(): Promise<void> {
    const { path, name } = this.options;
    const server = net.createServer((sock) => this.accept(sock));
    this.bound = await listenUnix(server, path, `session "${name}" is already running (${path})`);
    this.server = server;
    clearUpgrading(path); // left by a server that died in the middle of an upgrade
    server.on('error', (err) => this.options.log(`control socket: ${err.message}`));
  }

  /**
   * Stops listening, removes the socket and hangs up on every client once
   * what is queued for it is sent; a client that does not take it within
   * `grace` ms is cut off.
   */
  async close(grace = 2000): Promise<void> {
    if (this.server === undefined) return;
    await Promise.allSettled([...this.busy]);
    this.server.close();
    this.server = undefined;
    this.bound?.release();
    this.bound = undefined;
    const closing = [...this.sockets].map((s) => new Promise((resolve) => (s.destroyed ? resolve(undefined) : s.once('close', resolve))));
    for (const s of this.sockets) s.end();
    const timer = setTimeout(() => this.sockets.forEach((s) => s.destroy()), grace);
    await Promise.all(closing);
    clearTimeout(timer);
  }

  /** Goes on serving the socket a previous program of this server bound (an upgrade). */
  async resume(fd: number, held: HeldSocket): Promise<void> {
    const server = net.createServer((sock) => this.accept(sock));
    await listenOnFd(server, fd);
    this.bound = heldSocket(held);
    this.server = server;
    clearUpgrading(this.options.path); // the switch is over: questions are answered again
    server.on('error', (err) => this.options.log(`control socket: ${err.message}`));
  }

  /** The listening socket and its lock, for an upgrade to hand over. */
  get held(): { fd: number; socket: HeldSocket } | undefined {
    const fd = this.server === undefined ? undefined : serverFd(this.server);
    return fd === undefined || this.bound === undefined ? undefined : { fd, socket: this.bound.held };
  }

  /** True while stop or restart scripts are being run for a client. */
  get working(): boolean {
    return this.busy.size > 0;
  }

  /**
   * An upgrade begins (on) or was given up (off): requests that arrive
   * meanwhile are refused, and no more keyboard input is read from
   * attached clients (what they sent is still in the socket, and they send
   * it again to whichever program then serves them).
   */
  setUpgrading(on: boolean): void {
    this.upgrading = on;
    // One whose request comes later would be cut by the exec with no
    // answer: told now, it asks again (and is served by the next program).
    if (on) for (const sock of this.unserved) this.refuseUpgrading(sock);
    for (const sock of this.followers.keys()) if (on) sock.pause();
    else sock.resume();
  }

  /**
   * Tells every following client "server upgrading", with the output offset
   * it has been sent up to and the input bytes taken from it, then hangs
   * up once it has it all; one that does not take it within grace ms is cut off.
   */
  async releaseFollowers(grace = 2000): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [sock, f] of this.followers) {
      closing.push(new Promise((resolve) => (sock.destroyed ? resolve(undefined) : sock.once('close', resolve))));
      sock.end(jsonFrame({ event: 'upgrading', offset: f.console.hub.bytes, input: f.input }));
    }
    const timer = setTimeout(() => this.followers.forEach((_, s) => s.destroy()), grace);
    await Promise.all(closing);
    clearTimeout(timer);
  }

  /** What `ls` shows of this session. */
  describe(): SessionInfo {
    return {
      name: this.options.name,
      socket: this.options.path,
      pid: process.pid,
      startedAt: new Date(this.session.startedAt).toISOString(),
      server: { pid: process.pid, version: this.options.version ?? 'unknown', started: new Date(this.session.startedAt).toISOString(), generation: this.options.generation ?? 0 },
      limits: serverLimits(),
      consoles: [...[...this.session.consoles.values()].map((c) => this.describeConsole(c)), ...notStartedInfo(this.supervising)],
    };
  }

  private get supervising(): SuperviseOps {
    return { session: this.session, supervisor: this.options.supervisor, scriptsFor: (names) => this.options.scriptsFor(names, {}), noConsole: (n) => this.noConsole(n) };
  }

  private describeConsole(c: SessionConsole): ConsoleInfo {
    const size = c.size();
    return {
      name: c.name,
      pid: c.child.pid,
      ...supervisionOf(this.supervising, c),
      exitCode: c.exit?.exitCode ?? null,
      signal: c.exit?.signal ?? null,
      cols: size?.cols ?? null,
      rows: size?.rows ?? null,
      bytesOut: c.hub.bytes,
      clients: this.attached.get(c) ?? 0,
      startedAt: new Date(c.startedAt).toISOString(),
      command: c.spec.cmd,
      ...(c.spec.adopt !== undefined && { adoptedFrom: c.spec.adopt }),
    };
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('error', () => undefined); // EPIPE, ECONNRESET: the close handler cleans up.
    sock.once('close', () => this.sockets.delete(sock));
    const fd = socketFd(sock);
    // Room for a few turns of a busy console's output (see setSendBuffer).
    if (fd !== undefined) native.setSendBuffer(fd, SEND_BUFFER);
    const refusal = refusePeer(sock);
    if (refusal !== undefined) {
      this.drop(sock, refusal);
      return;
    }
    if (this.upgrading) {
      this.refuseUpgrading(sock);
      return;
    }
    this.unserved.add(sock);
    sock.once('close', () => this.unserved.delete(sock));
    const decoder = new FrameDecoder();
    let handler: FrameHandler | undefined;
    const timeout = this.options.requestTimeout ?? 5000;
    const timer = setTimeout(() => this.drop(sock, `no request within ${timeout / 1000}s`), timeout);
    sock.once('close', () => clearTimeout(timer));
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          if (sock.destroyed) return;
          if (handler !== undefined) {
            handler(frame);
            continue;
          }
          clearTimeout(timer);
          this.unserved.delete(sock);
          if (frame.type !== FRAME_JSON) throw new ProtocolError('data before a request');
          handler = this.serve(sock, new Request(frame.message));
        }
      } catch (err) {
        if (err instanceof ProtocolError) this.drop(sock, `protocol error: ${err.message}`);
        else if (err instanceof SessionError) this.drop(sock, err.message, false, err instanceof NoConsoleError ? { absent: true } : {});
        else {
          // A bug of ours must cost one client its request, not every
          // console its server: say so, log the stack, keep serving.
          this.options.log(`internal error serving a client: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          this.drop(sock, 'internal error in the session server (see its log)', false);
        }
      }
    });
  }

  /** Tells the client why and hangs up (at once if it does not read). */
  private drop(sock: Socket, reason: string, log = true, extra: object = {}): void {
    if (log) this.options.log(`client dropped: ${reason}`);
    this.unserved.delete(sock);
    if (sock.destroyed) return;
    // Nothing more it sends is read, let alone served.
    sock.removeAllListeners('data');
    sock.pause();
    sock.end(jsonFrame({ ok: false, error: reason, ...extra }));
    setTimeout(() => sock.destroy(), 1000).unref();
  }

  // Not served, and marked so: the client asks again until the next program answers.
  private refuseUpgrading(sock: Socket): void {
    this.drop(sock, UPGRADING, false, { upgrading: true });
  }

  /** Answers one request; returns what to do with the frames that follow. */
  private serve(sock: Socket, req: Request): FrameHandler {
    // A client that found this session by listing the socket directory asks
    // whether it holds the console, and gets the answer before the reply
    // (ControlClient's ConsoleLookup): one connection instead of two.
    if (req.flag('find')) {
      this.consoleFor(req, false);
      sock.write(jsonFrame({ found: true }));
    }
    switch (req.op) {
      case 'ls':
        sock.end(jsonFrame({ ok: true, session: this.describe() }));
        return ignore;
      case 'attach':
        return this.attach(sock, req);
      case 'tee':
        this.tee(sock, req);
        return ignore;
      case 'send':
        this.send(sock, req);
        return ignore;
      case 'new':
        this.newConsole(sock, req);
        return ignore;
      case 'adopt':
        this.adopt(sock, req);
        return ignore;
      case 'stop':
        this.stop(sock, req);
        return ignore;
      case 'start':
        startConsoles(this.supervising, req.optionalStringList('consoles') ?? []);
        sock.end(jsonFrame({ ok: true }));
        return ignore;
      case 'restart':
        this.reply(sock, restartConsoles(this.supervising, req.optionalStringList('consoles') ?? []).then((report) => ({ report })));
        return ignore;
      case 'upgrade':
        this.upgrade(sock);
        return ignore;
      case 'kill-server':
        // The client waits for the hang-up, which comes when the server exits.
        sock.write(jsonFrame({ ok: true }));
        this.options.killServer();
        return ignore;
      default:
        throw new ProtocolError(`unknown request "${req.op}"`);
    }
  }

  // The reply comes only if the upgrade failed: on success this process
  // runs another program, and the client sees its connection close.
  private upgrade(sock: Socket): void {
    const run = this.options.upgrade;
    if (run === undefined) throw new SessionError('this server cannot be upgraded');
    const done = run().then(
      (why) => sock.end(jsonFrame({ ok: false, error: why })),
      (err: Error) => sock.end(jsonFrame({ ok: false, error: `upgrade failed: ${err.message}` })),
    );
    void done;
  }

  private noConsole(name: string): SessionError {
    const names = [...this.session.consoles.keys()].join(', ');
    return new NoConsoleError(`no console "${name}" in session "${this.options.name}" (it has: ${names || 'none'})`);
  }

  private feed(sock: Socket, c: SessionConsole, redraw?: () => Buffer): ClientFeed {
    return new ClientFeed(sock, c.hub, this.options.clientQueue ?? DEFAULT_CLIENT_QUEUE, redraw);
  }

  private consoleFor(req: Request, live: boolean): SessionConsole {
    const name = req.string('console');
    const c = this.session.consoles.get(name);
    if (c === undefined) throw this.noConsole(name);
    if (live && c.exit !== undefined) throw new SessionError(`console "${name}" has ended: ${describeEnd(name, c.exit)}`);
    return c;
  }

  private attach(sock: Socket, req: Request): FrameHandler {
    const from = req.optionalNumber('from');
    // A client coming back after an upgrade sees the console's end, if it came meanwhile.
    const c = this.consoleFor(req, from === undefined);
    const readOnly = req.flag('readOnly');
    const writer = { cols: req.size('cols'), rows: req.size('rows') };
    const redraw = () => c.hub.replay(c.hub.bytes - REDRAW_BYTES);
    const feed = this.feed(sock, c, redraw);
    const replay = from === undefined ? c.hub.replay() : sinceOffset(c, from);
    // `pause`: this server takes pause-output and resume-output (a client
    // checks before it asks); `replay`: the bytes of output sent before live output.
    sock.write(jsonFrame({ ok: true, console: c.name, pause: true, replay: replay.length }));
    if (from !== undefined) tellMissed(c, from, feed);
    writeData(sock, replay);
    const follower: Follower = { console: c, input: 0 };
    this.followers.set(sock, follower);
    sock.once('close', () => this.followers.delete(sock));
    follow(sock, c, feed);
    this.attached.set(c, (this.attached.get(c) ?? 0) + 1);
    if (!readOnly) c.touchWriter(writer);
    // Keys typed while nobody has the terminal open are dropped (the
    // kernel would keep them for its next opener); the client is told once
    // per hang-up, not once per key.
    let toldHungUp = false;
    const typed = () => {
      toldHungUp = false;
    };
    const refused = (err: unknown) => {
      if (!(err instanceof ConsoleHungUpError) || toldHungUp) return;
      toldHungUp = true;
      feed.send({ event: 'hung-up', console: c.name });
    };
    sock.once('close', () => {
      this.attached.set(c, (this.attached.get(c) ?? 1) - 1);
      if (!readOnly) c.dropWriter(writer);
    });
    // Output is bounded by the feed; what a client's own messages bring
    // (answers, events) must be too: one that goes on asking while it reads
    // nothing would otherwise grow the server for as long as it liked.
    const unreadBound = replay.length + (this.options.clientQueue ?? DEFAULT_CLIENT_QUEUE) + UNREAD_SLACK;
    return (frame) => {
      if (sock.writableLength > unreadBound) {
        this.drop(sock, `an attached client left ${sock.writableLength} bytes unread and went on sending`);
        return;
      }
      if (frame.type === FRAME_DATA) {
        follower.input += frame.data.length;
        if (readOnly) return;
        c.touchWriter(writer);
        // The socket is never paused for input: a console that does not
        // read must not keep a client from detaching. What it has not
        // taken is bounded instead; past the bound, keys are dropped.
        if (c.inputBacklog > MAX_INPUT_BACKLOG) {
          feed.send({ event: 'input-dropped', bytes: frame.data.length });
          return;
        }
        c.input(frame.data).then(typed, refused);
        return;
      }
      const msg = new Request(frame.message);
      if (msg.op === 'resize') {
        const cols = msg.size('cols');
        const rows = msg.size('rows');
        if (!readOnly) c.resizeWriter(writer, cols, rows);
      } else if (msg.op === 'pause-output') {
        feed.pause();
      } else if (msg.op === 'resume-output') {
        feed.resume();
      } else if (msg.op === 'detach') {
        sock.end();
      } else {
        throw new ProtocolError(`unknown message "${msg.op}" while attached`);
      }
    };
  }

  private tee(sock: Socket, req: Request): void {
    const c = this.consoleFor(req, false);
    const from = req.optionalString('from') === 'input' ? c.inputMark : 0;
    const at = req.optionalNumber('offset');
    const following = req.flag('follow') && c.exit === undefined;
    const feed = this.feed(sock, c);
    sock.write(jsonFrame({ ok: true, console: c.name }));
    writeData(sock, at === undefined ? c.hub.replay(from) : resumeFrom(c, at, feed));
    if (!following) {
      feed.send(c.exit === undefined ? { event: 'eof' } : endEvent(c));
      sock.end();
      return;
    }
    this.followers.set(sock, { console: c, input: 0 });
    sock.once('close', () => this.followers.delete(sock));
    follow(sock, c, feed);
  }

  private send(sock: Socket, req: Request): void {
    const c = this.consoleFor(req, true);
    const data = Buffer.from(req.string('data'), 'base64');
    c.input(data).then(
      () => sock.end(jsonFrame({ ok: true, bytes: data.length })),
      (err: Error) =>
        sock.end(
          jsonFrame({
            ok: false,
            error: err instanceof ConsoleHungUpError ? `console "${c.name}" is hung up (nothing has its terminal open); nothing was sent` : `console "${c.name}" closed: ${err.message}`,
          }),
        ),
    );
  }

  private adopt(sock: Socket, req: Request): void {
    const name = newName(req);
    const closeOnHangup = req.optionalNumber('closeOnHangup');
    const adoptReq: AdoptRequest = { socket: req.string('socket'), name, once: req.flag('once'), ...(closeOnHangup !== undefined && { closeOnHangup }) };
    this.options.adopt(adoptReq).then(
      () => sock.end(jsonFrame({ ok: true })),
      (err: Error) => sock.end(jsonFrame({ ok: false, error: err.message })),
    );
  }

  // Everything is checked before anything is stopped: names, steps, order.
  private stop(sock: Socket, req: Request): void {
    const names = req.optionalStringList('consoles') ?? [...this.session.consoles.keys()];
    const custom = req.optionalObject('scripts') ?? {};
    const problem = scriptsProblem(custom);
    if (problem !== undefined) throw new ProtocolError(problem);
    const scripts = custom as Record<string, ScriptJson>;
    for (const name of [...names, ...Object.keys(scripts)]) {
      if (!this.session.consoles.has(name)) throw this.noConsole(name);
    }
    for (const [name, s] of Object.entries(scripts)) {
      for (const other of [...(s.stopAfter ?? []), ...(s.dependsOn ?? [])]) {
        if (!this.session.consoles.has(other)) throw new SessionError(`"${name}" stops after "${other}", which is not a console of session "${this.options.name}"`);
      }
    }
    const plan = this.options.scriptsFor(names, scripts);
    try {
      stopOrder(plan);
    } catch (err) {
      throw new SessionError((err as Error).message);
    }
    const timeout = req.optionalNumber('timeout');
    const done = this.session.shutdown(plan, timeout !== undefined ? { timeout } : {}).then(
      (report) => sock.end(jsonFrame({ ok: true, report })),
      (err: Error) => sock.end(jsonFrame({ ok: false, error: err.message })),
    );
    this.busy.add(done);
    void done.finally(() => this.busy.delete(done));
  }

  // A reply worked on (a restart's stop scripts): answered before the server closes.
  private reply(sock: Socket, work: Promise<object>): void {
    const done = work.then(
      (answer) => sock.end(jsonFrame({ ok: true, ...answer })),
      (err: Error) => sock.end(jsonFrame({ ok: false, error: err.message })),
    );
    this.busy.add(done);
    void done.finally(() => this.busy.delete(done));
  }

  private newConsole(sock: Socket, req: Request): void {
    const name = newName(req);
    if (this.session.consoles.has(name)) throw new SessionError(`session "${this.options.name}" already has a console "${name}"`);
    const cwd = req.optionalString('cwd');
    let c: SessionConsole;
    try {
      c = this.options.startConsole({ name, cmd: req.string('cmd'), ...(cwd !== undefined && { cwd }) });
    } catch (err) {
      throw new SessionError(`cannot start "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
    sock.end(jsonFrame({ ok: true, console: name, pid: c.child.pid }));
  }
}

const ignore: FrameHandler = () => undefined;

/** The session has no console of that name: the client is told `absent` too. */
class NoConsoleError extends SessionError {}

const UPGRADING = 'the session server is upgrading; try again in a moment';

// What a client that was at offset `from` (before an upgrade) has not seen:
// exactly the bytes since, or, if the ring no longer holds them all, what
// it holds (the client is told how much it missed).
function resumeFrom(c: SessionConsole, from: number, feed: ClientFeed): Buffer {
  tellMissed(c, from, feed);
  return sinceOffset(c, from);
}

function sinceOffset(c: SessionConsole, from: number): Buffer {
  return from >= c.hub.ring.start ? c.hub.ring.since(Math.min(from, c.hub.bytes)) : c.hub.replay(from);
}

function tellMissed(c: SessionConsole, from: number, feed: ClientFeed): void {
  if (from < c.hub.ring.start) feed.send({ event: 'skipped', bytes: c.hub.ring.start - from });
}

// A client follows a console's output until the console ends (it is told
// how, then hung up on) or it leaves (then nothing of it is kept).
function follow(sock: Socket, c: SessionConsole, feed: ClientFeed): void {
  const unsubscribe = c.hub.subscribe(feed);
  const cancelEnd = c.onEnd(() => {
    // A paused client is given the end of the output before the end.
    feed.resume();
    feed.send(endEvent(c));
    sock.end();
  });
  sock.once('close', () => {
    unsubscribe();
    cancelEnd();
  });
}

// How a console ended, and why if a stop script ended it: what a client
// that was following it is told.
function endEvent(c: SessionConsole): object {
  const exit = c.exit ?? { exitCode: null, signal: null };
  const why = c.stopReason !== undefined ? ` (${c.stopReason})` : '';
  return { event: 'end', ...exit, description: `${describeEnd(c.name, exit)}${why}` };
}

// Replays can be larger than one frame may be.
function writeData(sock: Socket, data: Buffer): void {
  for (let off = 0; off < data.length; off += MAX_DATA) sock.write(dataFrame(data.subarray(off, off + MAX_DATA)));
}

/** The name a request gives a console it adds, checked. */
function newName(req: Request): string {
  const name = req.string('name');
  const bad = nameProblem(name);
  if (bad !== undefined) throw new SessionError(bad);
  return name;
}

/** Why this peer may not use the session, or undefined if it may. */
function refusePeer(sock: Socket): string | undefined {
  const uid = peerUid(sock);
  if (uid === undefined) return 'refused: cannot tell who you are';
  return trustedUid(uid) ? undefined : `refused: this session belongs to uid ${myUid()}; you are uid ${uid}`;
}

// Node raised the soft open-file limit to the hard one when it started
// (as Go's runtime does): what is reported is what the server works with.
function serverLimits(): ServerLimits {
  const files = openFileLimit();
  return { openFiles: files?.soft ?? null, openFilesHard: files?.hard ?? null, ptys: ptyMax() ?? null };
}
