// A console whose fd is registered edge-triggered with a ConsolePoller: the
// KqueueConsole/EpollConsole of containerd/console. read and write treat
// EAGAIN and EIO as "the other side went away for now" and wait for the
// poller's next signal; only shutdown ends the console.
import { native } from '../native.js';
import { EAGAIN, EIO, SysError, check } from '../sys-error.js';
import { ConsoleClosedError, ConsoleHungUpError } from './errors.js';

/** What tryRead returns when nothing can be read until the next signal. */
export const WOULD_BLOCK = -1;

export interface WindowSize {
  cols: number;
  rows: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class PollConsole {
  readonly fd: number;
  private shut = false;
  private fdClosed = false;
  private hungUp = false;
  private drained = false;
  private bytesRead = 0;
  private readWaiters: Waiter[] = [];
  private writeWaiters: Waiter[] = [];
  private hangupListeners: Array<() => void> = [];
  private readonly unregister: (fd: number) => void;

  /** Made by ConsolePoller.add; `unregister` is its closeConsole. */
  constructor(fd: number, unregister: (fd: number) => void) {
    this.fd = fd;
    this.unregister = unregister;
  }

  /** True once shutdown has run. */
  get closed(): boolean {
    return this.shut;
  }

  /**
   * True while the other side is gone: the last read gave EIO (every slave
   * fd was closed; on Linux a slave never opened reads EAGAIN instead, so it
   * does not count). Cleared by the next successful read.
   */
  get isHungUp(): boolean {
    return this.hungUp;
  }

  /** True while the last read found nothing to read (EAGAIN or EIO). */
  get isDrained(): boolean {
    return this.drained;
  }

  /** Bytes read so far: lets a watcher tell whether reading progressed. */
  get readMark(): number {
    return this.bytesRead;
  }

  /** Calls fn each time the console becomes hung up; returns an unsubscribe. */
  onHangup(fn: () => void): () => void {
    this.hangupListeners.push(fn);
    return () => {
      this.hangupListeners = this.hangupListeners.filter((f) => f !== fn);
    };
  }

  /**
   * One non-blocking read: bytes read (> 0), 0 once shut down, or
   * WOULD_BLOCK when the caller must wait for the next signal.
   */
  tryRead(buf: Uint8Array, off = 0, len = buf.length - off): number {
    if (this.shut) return 0;
    const n = native.read(this.fd, buf, off, len);
    if (n > 0) {
      this.hungUp = false;
      this.drained = false;
      this.bytesRead += n;
      return n;
    }
    if (n === EAGAIN) {
      this.drained = true;
      return WOULD_BLOCK;
    }
    // EIO (Linux) or 0 (BSD) from a master: the slave side is closed or was
    // never opened. It may come back, so this is a state, not an end.
    if (n === EIO || n === 0) {
      this.drained = true;
      if (!this.hungUp) {
        this.hungUp = true;
        for (const fn of [...this.hangupListeners]) fn();
      }
      return WOULD_BLOCK;
    }
    throw new SysError(n, 'read', this.fd);
  }

  /** Resolves at the poller's next signal for this console, or at shutdown. */
  waitReadable(): Promise<void> {
    if (this.shut) return Promise.resolve();
    return new Promise((resolve, reject) => this.readWaiters.push({ resolve, reject }));
  }

  /** Reads up to buf.length bytes; resolves 0 (end of file) after shutdown. */
  async read(buf: Uint8Array): Promise<number> {
    for (;;) {
      const n = this.tryRead(buf);
      if (n !== WOULD_BLOCK) return n;
      await this.waitReadable();
    }
  }

  /**
   * Writes every byte of data, waiting out EAGAIN and EIO. Rejects with
   * ConsoleClosedError at once if the console is (or gets) shut down, and
   * with ConsoleHungUpError while nothing has its terminal open: the kernel
   * would keep the bytes for whoever opens it next (a later `runc exec -t`).
   * Asked of poll(2) at each write, not of the last read, which may be old.
   */
  async write(data: Uint8Array | string): Promise<number> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) {
      if (this.shut) throw new ConsoleClosedError(this.fd, 'write');
      if (native.hungUp(this.fd) === 1) throw new ConsoleHungUpError(this.fd);
      const n = native.write(this.fd, buf, off, buf.length - off);
      if (n >= 0) {
        off += n;
      } else if (n === EAGAIN || n === EIO) {
        await new Promise<void>((resolve, reject) => this.writeWaiters.push({ resolve, reject }));
      } else {
        throw new SysError(n, 'write', this.fd);
      }
    }
    return buf.length;
  }

  /**
   * Marks the console closed, calls close(fd) (typically the poller's
   * closeConsole) once, and wakes every waiter: reads resolve 0, writes
   * reject. A second call is a no-op.
   */
  shutdown(close: (fd: number) => void = this.unregister): void {
    if (this.shut) return;
    this.shut = true;
    const readers = this.readWaiters;
    const writers = this.writeWaiters;
    this.readWaiters = [];
    this.writeWaiters = [];
    this.hangupListeners = [];
    try {
      close(this.fd);
    } finally {
      for (const w of readers) w.resolve();
      const err = new ConsoleClosedError(this.fd, 'write');
      for (const w of writers) w.reject(err);
    }
  }

  /** Shuts down (if not yet) and releases the fd; idempotent. */
  close(): void {
    this.shutdown();
    if (this.fdClosed) return;
    this.fdClosed = true;
    check(native.close(this.fd), 'close', this.fd);
  }

  /** The terminal's window size. */
  size(): WindowSize {
    this.assertOpen('getWinSize');
    const r = check(native.getWinSize(this.fd), 'getWinSize', this.fd);
    return { cols: r & 0xffff, rows: Math.floor(r / 65536) };
  }

  /** Sets the window size (the slave's foreground group gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    this.assertOpen('setWinSize');
    check(native.setWinSize(this.fd, cols, rows), 'setWinSize', this.fd);
  }

  /** Called by the poller for each event on this console's fd. */
  signal(): void {
    // Edge-triggered: any event may be the one a waiter needs, and a waiter
    // that wakes for nothing just retries and parks again.
    const readers = this.readWaiters;
    const writers = this.writeWaiters;
    this.readWaiters = [];
    this.writeWaiters = [];
    for (const w of readers) w.resolve();
    for (const w of writers) w.resolve();
  }

  private assertOpen(op: string): void {
    if (this.fdClosed) throw new ConsoleClosedError(this.fd, op);
  }
}
