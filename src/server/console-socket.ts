// The listening end of runc's and crun's --console-socket: a pathname
// SOCK_STREAM unix socket. The runtime connects, sends one message whose
// payload is a name we do not parse (runc: the master's path; crun: " ";
// 0 to 4095 bytes) with exactly one SCM_RIGHTS fd, the PTY master, and
// closes; nothing is sent back. Every other shape is refused with a
// reason and touches nothing else: no fd, two fds (the extra is closed and
// logged; runc never sends two),
// a fd that is not a terminal, an oversized payload, a peer that stalls.
// A refused connection is closed at once: nothing more of it is read.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net, { type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { native } from '../native.js';
import { Desc } from '../poller/desc.js';
import { Event } from '../poller/event.js';
import { Poller } from '../poller/poller.js';
import { EAGAIN } from '../sys-error.js';
import { SessionError } from './session-error.js';
import { modeText } from './socket-dir.js';
import { myUid } from './peer.js';
import { heldSocket, listenOnFd, listenUnix, serverFd, socketFd, type BoundSocket, type HeldSocket } from './unix-socket.js';

/** A listening console socket as an upgrade hands it over: its fd and its lock. */
export interface HeldListener {
  fd: number;
  socket: HeldSocket;
}

/** The largest name a runtime may send (runc's limit is 4096 with the NUL). */
export const MAX_NAME = 4095;
const STALL_MS = 5000;
const MAX_FDS = 8;

/** What a private console socket directory's name starts with (in the temp directory). */
const PRIVATE_DIR_PREFIX = 'ptyplex-console-';
/** S_ISVTX: in a sticky directory only a file's owner may unlink or rename it. */
const STICKY = 0o1000;

/**
 * A console socket path in a new directory only we can enter (0700, as
 * go-runc's NewTempConsoleSocket): nobody else can replace the socket.
 * The listener removes the directory when it closes.
 */
export function privateConsoleSocket(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PRIVATE_DIR_PREFIX));
  return path.join(dir, `${name}.sock`);
}

/**
 * Why dir cannot hold a console socket, if it cannot: it must be ours, and
 * nobody else may write to it unless it is sticky. Whoever can write there
 * can unlink our socket and bind theirs, and the runtime would hand the
 * container's terminal to them.
 */
function consoleDirProblem(dir: string): string | undefined {
  let st: fs.Stats;
  let real: string;
  try {
    st = fs.statSync(dir);
    real = fs.realpathSync(dir);
  } catch {
    return `console socket directory ${dir} does not exist`;
  }
  if (st.uid !== myUid()) return `console socket directory ${dir} belongs to uid ${st.uid}, not to you (uid ${myUid()})`;
  if (openToOthers(st)) return `console socket directory ${dir} is writable by group or others (mode ${modeText(st)}) and not sticky; refusing to use it (chmod 700 it, or leave out --console-socket for a private one)`;
  return symlinkProblem(path.resolve(dir)) ?? ancestorProblem(real);
}

// The path as typed (the runtime will be given the same text): whoever owns
// a symlink on it, or can write a directory that holds one, can point it
// elsewhere later. So every link must be ours or root's, and every directory
// above our own closed to others unless sticky.
function symlinkProblem(dir: string): string | undefined {
  for (let at = dir; at !== path.dirname(at); at = path.dirname(at)) {
    const st = fs.lstatSync(at);
    if (st.isSymbolicLink() && !trusted(st)) return `console socket directory ${dir} is reached through ${at}, a symlink of uid ${st.uid}; refusing to use it`;
    if (at === dir || st.isSymbolicLink()) continue;
    if (!trusted(st)) return `console socket directory ${dir}: ${at} on its path belongs to uid ${st.uid}; refusing to use it`;
    if (openToOthers(st)) return `console socket directory ${dir}: ${at} on its path is writable by group or others (mode ${modeText(st)}) and not sticky; refusing to use it`;
  }
  return undefined;
}

// Whoever can write a directory above ours can rename ours away and put
// theirs in its place (as OpenSSH's safe_path checks): each must be ours or
// root's, and closed to others unless sticky.
function ancestorProblem(real: string): string | undefined {
  for (let at = path.dirname(real); ; at = path.dirname(at)) {
    const st = fs.statSync(at);
    if (!trusted(st)) return `console socket directory ${real}: ${at} above it belongs to uid ${st.uid}; refusing to use it`;
    if (openToOthers(st)) return `console socket directory ${real}: ${at} above it is writable by group or others (mode ${modeText(st)}) and not sticky; refusing to use it`;
    if (at === path.dirname(at)) return undefined;
  }
}

const trusted = (st: fs.Stats): boolean => st.uid === myUid() || st.uid === 0;
const openToOthers = (st: fs.Stats): boolean => (st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0;

export interface ConsoleSocketEvents {
  /** A PTY master arrived; the listener no longer owns fd. */
  console: [fd: number, name: string];
  /** A connection refused, or an oddity in one accepted, and why. */
  log: [message: string];
}

export class ConsoleSocketListener extends EventEmitter<ConsoleSocketEvents> {
  private server: net.Server | undefined;
  private bound: BoundSocket | undefined;
  private readonly pending = new Set<() => void>();
  // Its own poller, made once listening: connections are few and short,
  // and closing the listener closes everything it watched.
  private poller: Poller | undefined;

  constructor(readonly path: string) {
    super();
  }

  /** Binds the socket 0600, replacing only a stale socket, in a directory only we can change. */
  async listen(): Promise<void> {
    const problem = consoleDirProblem(path.dirname(this.path));
    if (problem !== undefined) throw new SessionError(problem);
    // Paused: the bytes and the fd are read here with recvmsg, never by libuv.
    const server = net.createServer({ pauseOnConnect: true }, (sock) => this.accept(sock));
    this.bound = await listenUnix(server, this.path, `${this.path} is in use by another listener`);
    this.server = server;
    this.poller = new Poller();
  }

  /** Stops listening and removes the socket; connections in progress are dropped. */
  close(): void {
    this.server?.close();
    this.bound?.release();
    if (this.bound !== undefined) removePrivateDir(path.dirname(this.path));
    this.bound = undefined;
    this.server = undefined;
    for (const drop of [...this.pending]) drop();
    this.poller?.close();
    this.poller = undefined;
  }

  /** Goes on listening on a socket the previous program held (an upgrade). */
  async resume(held: HeldListener): Promise<void> {
    const server = net.createServer({ pauseOnConnect: true }, (sock) => this.accept(sock));
    await listenOnFd(server, held.fd);
    this.bound = heldSocket(held.socket);
    this.server = server;
    this.poller = new Poller();
  }

  /** What the next program needs to go on listening, if listening. */
  get held(): HeldListener | undefined {
    const fd = this.server === undefined ? undefined : serverFd(this.server);
    return fd === undefined || this.bound === undefined ? undefined : { fd, socket: this.bound.held };
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  private accept(sock: Socket): void {
    const fd = socketFd(sock);
    const poller = this.poller;
    if (fd === undefined || poller === undefined) {
      sock.destroy();
      return;
    }
    const desc = Desc.handleRead(fd);
    const peer = new Peer();
    const finish = () => {
      clearTimeout(timer);
      this.pending.delete(finish);
      if (!poller.isClosed) poller.stop(desc);
      sock.destroy();
      for (const note of peer.notes) this.emit('log', note);
      if (peer.master !== undefined) this.emit('console', peer.master.fd, peer.master.name);
    };
    // A runtime closes right after sending; one that keeps the connection
    // open is cut off here, with its console if it sent one.
    const timer = setTimeout(() => {
      if (peer.master === undefined) peer.refuse(`sent nothing for ${STALL_MS / 1000}s`);
      finish();
    }, STALL_MS);
    this.pending.add(finish);
    // Reads every message until end of file: the runtime closes after one.
    const drain = () => {
      for (;;) {
        const n = native.recvFds(fd, peer.buf, 0, peer.buf.length, peer.out);
        if (n === EAGAIN) return;
        if (n < 0 || (n === 0 && peer.out[0] === 0)) {
          if (peer.master === undefined) peer.refuse(n < 0 ? `receive failed (errno ${-n})` : 'closed without sending a console');
          finish();
          return;
        }
        peer.take(n);
        // Nothing a refused peer sends later can change that: no more of
        // it is read (a flood would cost the loop until end of file).
        if (peer.refused) {
          finish();
          return;
        }
      }
    };
    poller.start(desc, (ev) => {
      if (ev & Event.PollerClosed) finish();
      else drain();
    });
    drain();
  }
}

// A directory privateConsoleSocket made goes with its socket: rmdir
// removes it only once empty, and never a directory the user named.
function removePrivateDir(dir: string): void {
  if (path.dirname(dir) !== os.tmpdir() || !path.basename(dir).startsWith(PRIVATE_DIR_PREFIX)) return;
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty (someone else's file), or already gone: leave it.
  }
}

// One connection: what it sent, and whether it is acceptable.
class Peer {
  readonly buf = Buffer.alloc(MAX_NAME + 1);
  readonly out = new Int32Array(2 + MAX_FDS);
  master: { fd: number; name: string } | undefined;
  refused = false;
  readonly notes: string[] = [];

  /** Checks one message's shape; keeps the first good master, closes every other fd. */
  take(n: number): void {
    const fds = Array.from(this.out.subarray(2, 2 + this.out[0]!));
    if (fds.length === 0) {
      this.refuse('a message without a file descriptor');
      return;
    }
    const [first, ...extra] = fds as [number, ...number[]];
    for (const x of extra) native.close(x);
    if (extra.length > 0) this.notes.push(`closed ${extra.length} extra file descriptor(s) sent with a console`);
    if ((this.out[1]! & 1) !== 0 || n > MAX_NAME) {
      native.close(first);
      this.refuse(`a name longer than ${MAX_NAME} bytes`);
    } else if (this.master !== undefined || this.refused) {
      native.close(first);
      this.refuse('a second console on one connection');
    } else if (typeof native.ptsName(first) !== 'string') {
      // Only a master has a slave to name: a slave, a pipe or a file is refused.
      native.close(first);
      this.refuse('a file descriptor that is not a PTY master');
    } else {
      this.master = { fd: first, name: this.buf.toString('utf8', 0, n) };
    }
  }

  /** Refuses the connection: any master it sent is closed; the first reason is logged. */
  refuse(reason: string): void {
    if (this.master !== undefined) native.close(this.master.fd);
    this.master = undefined;
    if (!this.refused) this.notes.push(`refused a connection: ${reason}`);
    this.refused = true;
  }
}
