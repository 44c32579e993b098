// ptyplex as a library: the poller (netpoll's API), the console core
// (containerd/console's design), the session engine (consoles, sinks,
// the control socket server and client, adoption, stop scripts) and the
// syscall errors they raise.
export * from './poller/index.js';
export * from './console/index.js';
export { SysError } from './sys-error.js';
export * from './session/index.js';
