// The poller: netpoll's Poller, Desc and Event over the native edge-triggered
// backend (epoll, kqueue). Knows file descriptors, not PTYs.
// May import: src/native.ts, src/sys-error.ts.
export { Desc, fdOf, type Filer } from './desc.js';
export { ErrClosed, ErrNotFiler, ErrNotRegistered, ErrRegistered, PollerError } from './errors.js';
export { Event } from './event.js';
export { Poller, type CallbackFn, type PollerOptions } from './poller.js';
