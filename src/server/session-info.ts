// What `ls` reports, as the server sends it and `ls --json` prints it.
import type { ConsoleState } from '../session/session-console.js';
import type { SupervisedState } from '../session/supervisor.js';

export interface ConsoleInfo {
  name: string;
  /** null for an adopted console: no process of ours. */
  pid: number | null;
  /** A supervised console's state (waiting, starting, ready, backoff, failed ...), else the console's own. */
  state: ConsoleState | SupervisedState;
  /** Why: which dependency it waits for, when the next try is, why it failed. */
  reason: string | null;
  /** Runs after the first (restart policy, ptyplex restart, ptyplex start). */
  restarts: number;
  /** Set once the console exited with a code. */
  exitCode: number | null;
  /** Set once a signal ended it (its number). */
  signal: number | null;
  cols: number | null;
  rows: number | null;
  bytesOut: number;
  /** Clients attached now. */
  clients: number;
  /** When its current run started; null if it has not run yet. */
  startedAt: string | null;
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

/** The session's server: its process, its ptyplex, and how many upgrades it has had. */
export interface ServerInfo {
  pid: number;
  version: string;
  /** When the session's first program started (an upgrade keeps it). */
  started: string;
  /** 0 at start, +1 per upgrade. */
  generation: number;
}

export interface SessionInfo {
  name: string;
  socket: string;
  pid: number;
  startedAt: string;
  server: ServerInfo;
  limits: ServerLimits;
  consoles: ConsoleInfo[];
}
