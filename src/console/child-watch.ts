// Collects the exit status of the consoles' children when SIGCHLD says one
// ended (spawned ones, and those an upgrade's execve handed over): no thread per child (node-pty keeps one, and every fork then copies
// its stack mapping), no work while nothing exits. Only the pids watched here
// are waited for, each by its own pid: Node's child_process children are
// libuv's to reap, and orphans the reaper's (orphan-reaper.ts).
import { native } from '../native.js';
import { claimChild, releaseChild } from './orphan-reaper.js';

/** How the child ended (spawn.ts's ExitStatus, spelled out here so the two files do not import each other). */
type OnExit = (status: { exitCode: number | null; signal: number | null }) => void;

const watched = new Map<number, OnExit>();

/**
 * Calls onExit once pid (our child) has ended, after reaping it. The
 * SIGCHLD listener is in place before the caller forks, so no exit is
 * missed; call prepare() first, then watch(pid) once the pid is known.
 */
export function prepareChildWatch(): void {
  if (!process.listeners('SIGCHLD').includes(collect)) process.on('SIGCHLD', collect);
}

export function watchChild(pid: number, onExit: OnExit): void {
  watched.set(pid, onExit);
  // The orphan reaper (a subreaper's) leaves it to us.
  claimChild(pid);
  // It may have ended before it was in the map: look once, on the next
  // turn (the caller finishes setting up what onExit reports to first).
  setImmediate(() => {
    if (watched.get(pid) === onExit) collectOne(pid, onExit);
  });
}

// One signal may stand for several exits: look at every watched pid.
// (A waitid per console on each exit: 3000 consoles cost about a
// millisecond, and only when a child ends.)
function collect(): void {
  for (const [pid, onExit] of watched) collectOne(pid, onExit);
  if (watched.size === 0) process.off('SIGCHLD', collect);
}

function collectOne(pid: number, onExit: OnExit): void {
  const r = native.reapChild(pid);
  // 0: still running. ECHILD: someone else reaped it (libuv and the orphan
  // reaper wait for their own pids only, and on Linux no thread waits for
  // consoles, before or after an upgrade; node-pty's wait thread elsewhere
  // could have): ended, status unknown.
  if (r === 0) return;
  watched.delete(pid);
  releaseChild(pid);
  const value = Math.floor(r / 256);
  onExit(r < 0 ? { exitCode: null, signal: null } : r % 256 === 1 ? { exitCode: value, signal: null } : { exitCode: null, signal: value });
}
