// What a console is, written down for the next program of its server (an
// upgrade): plain data, JSON, nothing that points into this process except
// fd numbers the next program inherits. Its output so far is the ring's
// held bytes and the absolute offset they end at, so a client can resume
// from exactly where it was.
import type { ConsoleSpec } from '../config/console-spec.js';
import type { ExitStatus } from '../console/spawn.js';
import type { SessionConsole } from './session-console.js';

export interface ConsoleState {
  spec: ConsoleSpec;
  /** The child's pid (our child still), null when adopted. */
  pid: number | null;
  /** Its PTY master, inherited; null once the console has ended for good. */
  fd: number | null;
  pty: string;
  /** How it ended, once it has ended for good. */
  exit: ExitStatus | null;
  restarts: number;
  stopping: boolean;
  startedAt: number;
  inputMark: number;
  runStart: number;
  /** The ring's held bytes (base64) and the offset they end at. */
  ring: string;
  ringEnd: number;
  alternate: boolean;
  /** An adopted console's options. */
  adopted?: { closeOnHangup?: number; reapLeader?: boolean };
}

/**
 * Whether c is at a clean point to hand over: running with no exit seen
 * yet, or ended for good. A child whose exit was collected but whose
 * output is still draining (or an adopted console being closed) is not.
 */
export function atCleanPoint(c: SessionConsole): boolean {
  if (c.finished) return !c.life.sleeping;
  if (c.exit !== undefined || c.child.console.closed) return false;
  return c.child.pid === null || !c.child.exitSeen;
}

export function consoleState(c: SessionConsole): ConsoleState {
  const live = !c.finished;
  return {
    spec: c.spec,
    pid: c.child.pid,
    fd: live ? c.child.console.fd : null,
    pty: c.child.pty,
    exit: c.finished ? (c.exit ?? null) : null,
    restarts: c.life.restarts,
    stopping: c.life.stopping,
    startedAt: c.startedAt,
    inputMark: c.inputMark,
    runStart: c.life.runStart,
    ring: c.hub.ring.since(0).toString('base64'),
    ringEnd: c.hub.ring.end,
    alternate: c.hub.screen.alternate,
    ...(c.adoptOptions !== undefined && { adopted: c.adoptOptions }),
  };
}
