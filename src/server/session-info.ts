// What `ls` reports, as the server sends it and `ls --json` prints it.
import type { ConsoleState } from '../session/session-console.js';

export interface ConsoleInfo {
  name: string;
  /** null for an adopted console: no process of ours. */
  pid: number | null;
  state: ConsoleState;
  /** Set once the console exited with a code. */
  exitCode: number | null;
  /** Set once a signal ended it (its number). */
  signal: number | null;
  cols: number | null;
  rows: number | null;
  bytesOut: number;
  /** Clients attached now. */
  clients: number;
  startedAt: string;
  command: string;
  /** For an adopted console: the console socket it came through. */
  adoptedFrom?: string;
}

/** The kernel's limits the server works within (null: unknown here). */
export interface ServerLimits {
  /** Its soft RLIMIT_NOFILE: each console holds one descriptor, each log one more. */
  openFiles: number | null;
  /** The hard limit the soft one can be raised to (null: unlimited or unknown). */
  openFilesHard: number | null;
  /** kernel.pty.max: pseudo-terminals on the whole system. */
  ptys: number | null;
}

export interface SessionInfo {
  name: string;
  socket: string;
  pid: number;
  startedAt: string;
  limits: ServerLimits;
  consoles: ConsoleInfo[];
}
