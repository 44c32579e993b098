// Why a console could not be started, in words a user can act on. The
// addon's spawnPty returns the errno; node-pty's fork (macOS, BSD) says only
// "forkpty(3) failed." and its errno is gone by the time we see it, so that
// failure is diagnosed by doing what forkpty does first: open a PTY master,
// and one more file (the slave).
import fs from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { SysError } from '../sys-error.js';
import { devptsMax, openFileLimit, ptyMax, ptysInUse } from './limits.js';

// Read once, while a descriptor is free to read it with (at EMFILE a fresh
// read fails): the limit Node raised the soft one to at start.
const limitAtStart = openFileLimit();

export type SpawnErrorCode = 'EMFILE' | 'ENFILE' | 'ENOSPC';

export class SpawnError extends Error {
  override readonly name = 'SpawnError';
  constructor(
    readonly code: SpawnErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Descriptors a console never takes: a session at its limit must still
 * accept its clients (ls, send, kill-server), write its logs and answer.
 */
export const RESERVED_FDS = 16;

/**
 * Throws the EMFILE SpawnError before a fork when a new console would eat
 * into the reserve: descriptors are handed out lowest first, so the number
 * the next open gets says how full the table is.
 */
export function refuseNearFdLimit(): void {
  // Read now (the limit may have been raised since start); at EMFILE the
  // read itself fails, and the one from start stands in.
  const soft = (openFileLimit() ?? limitAtStart)?.soft;
  if (soft === undefined) return;
  let next: number;
  try {
    next = fs.openSync('/dev/null', fs.constants.O_RDONLY);
  } catch {
    throw new SpawnError('EMFILE', describe('EMFILE'));
  }
  fs.closeSync(next);
  if (next + 2 > soft - RESERVED_FDS) throw new SpawnError('EMFILE', describe('EMFILE'));
}

/**
 * What spawnPty's errno means: a SpawnError when a limit was met, else a
 * SysError naming the program (ENOENT, EACCES: it cannot be run).
 */
export function spawnFailure(errno: number, file: string): Error {
  const code = errnoCode(errno);
  if (code !== undefined) return new SpawnError(code, describe(code));
  return new SysError(-errno, `spawn ${file}`);
}

function errnoCode(errno: number): SpawnErrorCode | undefined {
  const name = errno > 0 ? getSystemErrorName(-errno) : '';
  // Linux says ENOSPC when kernel.pty.max is reached; some kernels EAGAIN.
  if (name === 'EAGAIN') return 'ENOSPC';
  return name === 'EMFILE' || name === 'ENFILE' || name === 'ENOSPC' ? name : undefined;
}

/** A SpawnError saying which limit was met, or `original` if none was. */
export function diagnoseSpawnFailure(original: Error): Error {
  const code = probe();
  if (code === undefined) return original;
  return new SpawnError(code, describe(code));
}

function describe(code: SpawnErrorCode): string {
  if (code === 'EMFILE') {
    const limit = openFileLimit() ?? limitAtStart;
    return `too many open files (limit ${limit?.soft ?? 'unknown'}; raise it with ulimit -n)`;
  }
  if (code === 'ENFILE') return 'the system has too many open files (fs.file-max)';
  // A private devpts instance (a container's) may have its own, smaller max.
  const mount = devptsMax();
  const kernel = ptyMax();
  if (mount !== undefined && (kernel === undefined || mount < kernel)) return `no more pseudo-terminals (the devpts on /dev/pts allows ${mount})`;
  const inUse = ptysInUse();
  return `no more pseudo-terminals (kernel.pty.max is ${kernel ?? 'unknown'}${inUse === undefined ? '' : `, ${inUse} in use`})`;
}

function probe(): SpawnErrorCode | undefined {
  const opened: number[] = [];
  try {
    opened.push(fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    opened.push(fs.openSync('/dev/null', fs.constants.O_RDONLY));
    return undefined;
  } catch (err) {
    return errnoCode(-((err as NodeJS.ErrnoException).errno ?? 0));
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}
