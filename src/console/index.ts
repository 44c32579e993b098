// The console core: PollConsole (read/write riding out EAGAIN and EIO,
// shutdown with a close callback), ConsolePoller (the Kqueuer), stream
// adapters, spawning a child in a PTY and adopting a master.
// May import: poller.
export { ConsolePoller } from './console-poller.js';
export { ConsoleReadable, ConsoleWritable } from './console-stream.js';
export { ConsoleClosedError, ConsoleHungUpError } from './errors.js';
export { PollConsole, WOULD_BLOCK, type WindowSize } from './poll-console.js';
export { adopt, type AdoptOptions, type AdoptedConsole } from './adopt.js';
export { defaultConsolePoller, spawn, type ExitStatus, type SpawnOptions, type SpawnedConsole } from './spawn.js';
export { openFileLimit, ptyMax, type OpenFileLimit } from './limits.js';
export { SpawnError, type SpawnErrorCode } from './spawn-error.js';
