// A connected socket driven by ptyplex's own edge-triggered poller, with
// the part of net.Socket a control client uses: 'data', 'error' and
// 'close' events, write() with backpressure and 'drain', end() (the
// writing half) and destroy(). A client command that asks one question
// (send, expect, ls, tee) then loads neither node:net nor Node's streams,
// and pays no cold first round trip through them: some 5 ms of a 100 ms
// command, measured (bench/startup.js).
import { EventEmitter } from 'node:events';
import { native } from '../native.js';
import { Desc } from '../poller/desc.js';
import { Event } from '../poller/event.js';
import { Poller } from '../poller/poller.js';
import { EAGAIN, SysError } from '../sys-error.js';

/** Most bytes taken by one read. */
const CHUNK = 64 * 1024;
/** write() asks the caller to wait for 'drain' once this much is queued (net.Socket's mark). */
const HIGH_WATER = 16 * 1024;

// One poller for every socket of the process; its queue's fd is watched by
// libuv, which it keeps alive only while a socket is registered.
let shared: Poller | undefined;
// One read buffer for all: each read is copied out before it is handed on.
let scratch: Buffer | undefined;

interface PolledSocketEvents {
  data: [Buffer];
  error: [Error];
  drain: [];
  close: [];
}

export class PolledSocket extends EventEmitter<PolledSocketEvents> {
  private readonly desc: Desc;
  private readonly poller: Poller;
  private queue: Buffer[] = [];
  private queued = 0;
  private ending = false;
  private shut = false;
  private closed = false;
  private wantDrain = false;
  /** A read of the rest is scheduled (the next chunk, or after the loop has turned). */
  private continuing = false;

  /** fd: a connected, non-blocking socket, owned from here on (closed by destroy). */
  constructor(readonly fd: number) {
    super();
    this.poller = shared ??= new Poller();
    this.desc = new Desc(fd, Event.Read | Event.Write | Event.EdgeTriggered);
    // Registering reports the socket's state once: what is already there is read then.
    try {
      this.poller.start(this.desc, (ev) => this.signal(ev));
    } catch (err) {
      native.close(fd);
      throw err;
    }
  }

  /** Bytes written but not yet taken by the kernel. */
  get writableLength(): number {
    return this.queued;
  }

  /** Always flowing: there for callers written against Node's streams. */
  resume(): this {
    return this;
  }

  /** Queues what the kernel does not take now; false once the caller should wait for 'drain'. */
  write(data: Buffer): boolean {
    if (this.closed || this.ending) return false;
    let rest = data;
    if (this.queued === 0) {
      const r = native.write(this.fd, data, 0, data.length);
      if (r === data.length) return true;
      if (r < 0 && r !== EAGAIN) {
        // As net.Socket does: the caller hears of it from an event, not a throw in its write.
        const err = new SysError(r, 'write', this.fd);
        process.nextTick(() => this.fail(err));
        return false;
      }
      rest = data.subarray(Math.max(r, 0));
    }
    this.queue.push(rest);
    this.queued += rest.length;
    if (this.queued < HIGH_WATER) return true;
    this.wantDrain = true;
    return false;
  }

  /** No more writes: the writing half is shut once the queue is out; reading goes on to the peer's end. */
  end(): this {
    this.ending = true;
    this.flush();
    return this;
  }

  /**
   * Closes now. 'close' follows once the loop has turned, as a Node
   * socket's does: what the last chunk settled (a reply awaited, then
   * its listeners added) runs first.
   */
  destroy(): this {
    if (this.closed) return this;
    this.closed = true;
    if (!this.poller.isClosed) this.poller.stop(this.desc);
    native.close(this.fd);
    this.queue = [];
    this.queued = 0;
    setImmediate(() => this.emit('close'));
    return this;
  }

  private signal(ev: number): void {
    if (ev & Event.PollerClosed) {
      this.destroy();
      return;
    }
    this.flush();
    if (!this.continuing) this.read();
  }

  // Reads one chunk, then the next once the loop has turned, until the
  // kernel has nothing (the next edge will say when it has) or the peer
  // ends (as net.Socket without allowHalfOpen, that closes the socket).
  // Edge-triggered, so the socket must come back for the rest itself; a
  // turn per chunk is what libuv gives a stream's chunks too: whatever one
  // settled (a reply awaited, the listeners added after it) runs before
  // the next is delivered, and a stream that never runs dry (a console
  // followed by tee) does not starve the rest of the process.
  private read(): void {
    this.continuing = false;
    if (this.closed) return;
    const buf = (scratch ??= Buffer.allocUnsafeSlow(CHUNK));
    const r = native.read(this.fd, buf, 0, CHUNK);
    if (r === EAGAIN) return;
    if (r === 0) {
      this.destroy();
      return;
    }
    if (r < 0) {
      this.fail(new SysError(r, 'read', this.fd));
      return;
    }
    this.continuing = true;
    setImmediate(() => this.read());
    // The listener may keep the chunk: each is its own, at its size.
    this.emit('data', Buffer.from(buf.subarray(0, r)));
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      const r = native.write(this.fd, head, 0, head.length);
      if (r === EAGAIN) return;
      if (r < 0) {
        this.fail(new SysError(r, 'write', this.fd));
        return;
      }
      this.queued -= r;
      if (r < head.length) this.queue[0] = head.subarray(r);
      else this.queue.shift();
    }
    if (this.closed) return;
    if (this.ending && !this.shut) {
      this.shut = true;
      native.shutdown(this.fd, 1);
    }
    if (this.wantDrain) {
      this.wantDrain = false;
      this.emit('drain');
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.destroy();
  }
}
