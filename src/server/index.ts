// The session's control socket and everything that reaches it: the framed
// protocol, requests, per-client feeds, the control client, socket
// directories, and the console socket that adopts container terminals.
// May import: poller, console, config, session.
export { Adoption, type AdoptRequest } from './adoption.js';
export { ConsoleSocketListener } from './console-socket.js';
export { ControlClient } from './control-client.js';
export { ControlServer, type ControlServerOptions } from './control-server.js';
export { SessionError } from './session-error.js';
export type { ConsoleInfo, ServerLimits, SessionInfo } from './session-info.js';
export { socketDir } from './socket-dir.js';
