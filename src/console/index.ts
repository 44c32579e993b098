export { ConsolePoller } from './console-poller.js';
export { ConsoleReadable, ConsoleWritable } from './console-stream.js';
export { ConsoleClosedError } from './errors.js';
export { PollConsole, WOULD_BLOCK, type WindowSize } from './poll-console.js';
export { defaultConsolePoller, spawn, type ExitStatus, type SpawnOptions, type SpawnedConsole } from './spawn.js';
