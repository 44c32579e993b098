// netpoll's Poller over the native queue: start(desc, cb), stop(desc),
// resume(desc), close(). Registrations are keyed by a token, never by the fd
// alone, so an event harvested for a desc that was stopped (and whose fd
// number the kernel has since handed to someone else) finds no callback and
// is dropped instead of reaching the newcomer.
import { native, type NativePollerHandle } from '../native.js';
import { EBADF, ENOENT, check } from '../sys-error.js';
import type { Desc } from './desc.js';
import { ErrClosed, ErrNotRegistered, ErrRegistered } from './errors.js';
import { Event } from './event.js';

export type CallbackFn = (ev: number) => void;

export interface PollerOptions {
  /** Most events handed to JS in one call (default 1024). */
  batchSize?: number;
}

interface Registration {
  readonly desc: Desc;
  readonly token: number;
  readonly cb: CallbackFn;
}

export class Poller {
  private readonly handle: NativePollerHandle;
  private readonly tokens: Uint32Array;
  private readonly events: Uint32Array;
  private readonly byToken = new Map<number, Registration>();
  private readonly byFd = new Map<number, Registration>();
  private nextToken = 1;
  private batches = 0;
  private delivered = 0;
  private closed = false;
  private refed = true;

  constructor(options: PollerOptions = {}) {
    const size = options.batchSize ?? 1024;
    this.tokens = new Uint32Array(size);
    this.events = new Uint32Array(size);
    this.handle = new native.NativePoller((n) => this.dispatch(n), this.tokens, this.events);
  }

  /** The kernel queue's own fd (epoll or kqueue). */
  get fd(): number {
    return this.handle.fd();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Number of live registrations. */
  get size(): number {
    return this.byToken.size;
  }

  /** Batches handed up from native, and events delivered to callbacks. */
  get stats(): { batches: number; events: number } {
    return { batches: this.batches, events: this.delivered };
  }

  /** Adds desc to the observation list; cb gets each event's bits. */
  start(desc: Desc, cb: CallbackFn): void {
    if (this.closed) throw new ErrClosed();
    if (this.byFd.has(desc.fd)) throw new ErrRegistered(desc.fd);
    const token = this.allocToken();
    check(this.handle.add(desc.fd, token, desc.events), 'poller add', desc.fd);
    const reg = { desc, token, cb };
    this.byToken.set(token, reg);
    this.byFd.set(desc.fd, reg);
    this.updateRef();
  }

  /** Removes desc from the observation list; does not close its fd. */
  stop(desc: Desc): void {
    const reg = this.registrationOf(desc);
    this.forget(reg);
    const r = this.handle.remove(desc.fd);
    // A closed fd has already left the kernel's set: the registration is
    // gone either way, which is what stop promises.
    if (r !== EBADF && r !== ENOENT) check(r, 'poller remove', desc.fd);
  }

  /** Re-arms desc: after a OneShot fired, it stays quiet until this. */
  resume(desc: Desc): void {
    const reg = this.registrationOf(desc);
    check(this.handle.modify(desc.fd, reg.token, desc.events), 'poller resume', desc.fd);
  }

  /**
   * Closes the queue and hands every registered callback PollerClosed,
   * exactly once. Safe inside a callback; later calls are no-ops.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    const regs = [...this.byToken.values()];
    this.byToken.clear();
    this.byFd.clear();
    for (const reg of regs) this.invoke(reg, Event.PollerClosed);
  }

  /** Lets the process exit while descs are registered (like socket.unref). */
  unref(): void {
    this.refed = false;
    this.updateRef();
  }

  ref(): void {
    this.refed = true;
    this.updateRef();
  }

  private registrationOf(desc: Desc): Registration {
    if (this.closed) throw new ErrClosed();
    const reg = this.byFd.get(desc.fd);
    if (reg === undefined || reg.desc !== desc) throw new ErrNotRegistered(desc.fd);
    return reg;
  }

  private forget(reg: Registration): void {
    this.byToken.delete(reg.token);
    this.byFd.delete(reg.desc.fd);
    this.updateRef();
  }

  private allocToken(): number {
    // 2^32 tokens wrap around only after that many registrations; skip any
    // still in use (and 0, which marks nothing on the native side).
    do {
      this.nextToken = (this.nextToken + 1) >>> 0;
    } while (this.nextToken === 0 || this.byToken.has(this.nextToken));
    return this.nextToken;
  }

  private updateRef(): void {
    if (this.closed) return;
    if (this.refed && this.byToken.size > 0) this.handle.ref();
    else this.handle.unref();
  }

  // One native call per harvested batch. Each event is looked up afresh, so
  // callbacks may stop, start or close while the batch is being delivered.
  private dispatch(count: number): void {
    this.batches++;
    for (let i = 0; i < count && !this.closed; i++) {
      const reg = this.byToken.get(this.tokens[i]!);
      if (reg === undefined) continue;
      this.delivered++;
      this.invoke(reg, this.events[i]!);
    }
  }

  // A throwing callback must not cost the rest of the batch its events; the
  // error still surfaces as an uncaught exception, on the next tick.
  private invoke(reg: Registration, ev: number): void {
    try {
      reg.cb(ev);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
