// A Desc is one file descriptor plus the events it is watched for, netpoll's
// unit of registration. It is made from an fd, or from a Node socket or tty
// stream whose handle exposes one (else ErrNotFiler).
import { native } from '../native.js';
import { check } from '../sys-error.js';
import { ErrNotFiler } from './errors.js';
import { Event, INTEREST_MASK } from './event.js';

/** Something a Desc can be made from. */
export type Filer = number | { readonly fd: number } | { readonly _handle?: unknown };

export class Desc {
  readonly fd: number;
  readonly events: number;

  constructor(fd: number, events: number) {
    if (!Number.isInteger(fd) || fd < 0) throw new ErrNotFiler(`fd ${String(fd)}`);
    if ((events & ~INTEREST_MASK) !== 0 || (events & (Event.Read | Event.Write)) === 0) {
      throw new RangeError(`a Desc watches Read and/or Write (with OneShot, EdgeTriggered); got ${Event.toString(events)}`);
    }
    this.fd = fd;
    this.events = events;
  }

  /** netpoll's Handle: a Desc for `source` watched for `events`. */
  static handle(source: Filer, events: number): Desc {
    return new Desc(fdOf(source), events);
  }

  static handleRead(source: Filer): Desc {
    return Desc.handle(source, Event.Read | Event.EdgeTriggered);
  }

  static handleReadOnce(source: Filer): Desc {
    return Desc.handle(source, Event.Read | Event.OneShot);
  }

  static handleWrite(source: Filer): Desc {
    return Desc.handle(source, Event.Write | Event.EdgeTriggered);
  }

  static handleWriteOnce(source: Filer): Desc {
    return Desc.handle(source, Event.Write | Event.OneShot);
  }

  static handleReadWrite(source: Filer): Desc {
    return Desc.handle(source, Event.Read | Event.Write | Event.EdgeTriggered);
  }

  /** Closes the underlying fd (netpoll's Desc.Close); stop it first. */
  close(): void {
    check(native.close(this.fd), 'close', this.fd);
  }
}

/** The fd behind a number, an object with `fd`, or a Node stream's handle. */
export function fdOf(source: Filer): number {
  if (typeof source === 'number') return source;
  if ('fd' in source && typeof source.fd === 'number') return source.fd;
  const handle = '_handle' in source ? source._handle : undefined;
  if (typeof handle === 'object' && handle !== null && 'fd' in handle) {
    const fd = (handle as { fd: unknown }).fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  throw new ErrNotFiler(source.constructor?.name ?? typeof source);
}
