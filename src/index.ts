// ptyplex as a library, layer by layer: the poller (netpoll's API), the
// console core (containerd/console's design), configuration (specs, files,
// stop scripts), the session engine (consoles, sinks, shutdown), the server
// (control socket, client, adoption) and the syscall errors they raise.
export * from './poller/index.js';
export * from './console/index.js';
export { SysError } from './sys-error.js';
export * from './config/index.js';
export * from './session/index.js';
export * from './server/index.js';
