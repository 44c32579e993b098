// The engine: a named set of consoles, each fanned out to its sinks (terminal,
// log, recording) and to the hub clients read from, with a ring buffer for
// replay, the expect matcher, exit statuses and the scripted shutdown.
// Knows nothing of sockets. May import: poller, console, config.
export { describeEnd, runStatus, statusCode, SUCCESS_POLICIES, type SuccessPolicy } from './exit-status.js';
export { keyBytes } from './keys.js';
export { Matcher } from './matcher.js';
export { Session, DEFAULT_RING_SIZE, type ConsoleEnd, type SessionOptions } from './session.js';
export { SessionConsole, type ConsoleState } from './session-console.js';
export * from './sinks/index.js';
export { tee } from './tee.js';
export type { ConsoleReport, ShutdownOptions, ShutdownReport, StepReport } from './shutdown.js';
