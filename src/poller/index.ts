export { Desc, fdOf, type Filer } from './desc.js';
export { ErrClosed, ErrNotFiler, ErrNotRegistered, ErrRegistered, PollerError } from './errors.js';
export { Event } from './event.js';
export { Poller, type CallbackFn, type PollerOptions } from './poller.js';
