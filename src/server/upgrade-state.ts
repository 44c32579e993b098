// The state an upgrading server hands to its next program: one JSON
// document in an anonymous memory file (memfd) whose fd survives execve.
// Its first line is a small header (the format's version) that a program
// can judge without reading the rest: `__resume --check` reads only that.
import fs from 'node:fs';
import { native } from '../native.js';
import { ECHILD, SysError } from '../sys-error.js';
import type { ConsoleEnd } from '../session/session.js';
import type { PlainLogHeld } from '../session/sinks/plain-log-sink.js';
import type { ConsoleState } from '../session/console-state.js';
import type { SupervisedEntry } from '../session/supervisor.js';
import type { HeldAdoption } from './adoption.js';
import type { HeldSocket } from './unix-socket.js';

/** The state format this program writes and reads. A change that an older reader would misread gets a new number. */
export const STATE_VERSION = 1;

export interface StateHeader {
  format: 'ptyplex-upgrade';
  version: number;
}

export interface UpgradeState {
  generation: number;
  /** The session's start, in ms since the epoch. */
  startedAt: number;
  control: { fd: number; socket: HeldSocket };
  adoptions: HeldAdoption[];
  subreaper: boolean;
  consoles: ConsoleState[];
  ends: ConsoleEnd[];
  supervisor: SupervisedEntry[];
  /** Each log or recording: its path and inherited fd (a recording: its clock). */
  files: HeldFile[];
  /** What the command layer needs to go on (its parsed arguments): opaque here. */
  run: unknown;
}

export interface HeldFile {
  path: string;
  fd: number;
  /** A recording's clock. */
  elapsed?: number;
  /** A plain log's partial line. */
  held?: PlainLogHeld;
}

export class StateError extends Error {
  override readonly name = 'StateError';
}

/** The header a program accepts, or why not (one line). */
export function headerProblem(header: unknown): string | undefined {
  const h = header as Partial<StateHeader> | null;
  if (h === null || typeof h !== 'object' || h.format !== 'ptyplex-upgrade') return 'not an upgrade state';
  if (h.version !== STATE_VERSION) return `state format ${String(h.version)} is not one this ptyplex reads (it reads ${STATE_VERSION})`;
  return undefined;
}

/** The header line of an encoded state. */
export function encodeHeader(): string {
  return `${JSON.stringify({ format: 'ptyplex-upgrade', version: STATE_VERSION } satisfies StateHeader)}\n`;
}

/** Writes the state into a new memfd; returns its fd (close-on-exec until the exec keeps it). */
export function writeState(state: UpgradeState): number {
  const fd = native.memfdCreate(MEMFD_NAME);
  if (fd < 0) throw new SysError(fd, 'memfd_create');
  const data = Buffer.from(encodeHeader() + JSON.stringify(state));
  try {
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** What the state's memfd is called (its /proc link reads /memfd:NAME (deleted)). */
const MEMFD_NAME = 'ptyplex-upgrade';

/**
 * Reads (and closes) the state fd the previous program left; StateError if
 * it is not one we read. Only a memfd of ours is taken: `ptyplex __resume`
 * run by hand with a file or a pipe is refused before anything in it is.
 */
export function readState(fd: number): UpgradeState {
  let text: string;
  try {
    const link = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (!link.startsWith(`/memfd:${MEMFD_NAME} `)) throw new StateError(`fd ${fd} is not an upgrade state a ptyplex server handed over (it is ${link})`);
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    for (let off = 0; off < size; ) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError(`cannot read the upgrade state (fd ${fd}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed: the read said so.
    }
  }
  const nl = text.indexOf('\n');
  const problem = headerProblem(parse(nl < 0 ? text : text.slice(0, nl)));
  if (problem !== undefined) throw new StateError(problem);
  return parse(text.slice(nl + 1)) as UpgradeState;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StateError('the upgrade state is not JSON');
  }
}

/**
 * Why this process cannot take these consoles over, if it cannot: each
 * live console's pid must be a child of this very process (execve kept it),
 * or the state is not its previous program's, and signalling those pids
 * later could hit someone else's processes.
 */
export function foreignChild(state: UpgradeState): string | undefined {
  for (const c of state.consoles) {
    if (c.pid === null || c.fd === null) continue;
    if (native.reapChild(c.pid, true) === ECHILD) return `console "${c.spec.name}": pid ${c.pid} is not a child of this process, so this is not a state its previous program left; refused`;
  }
  return undefined;
}
