// ptyplex as a library: the poller (netpoll's API), the console core
// (containerd/console's design) and the syscall errors they raise.
export * from './poller/index.js';
export * from './console/index.js';
export { SysError } from './sys-error.js';
