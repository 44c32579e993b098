// A child this process started under its previous program (before an
// upgrade's execve): its PTY master arrives as an inherited fd, and the
// child is still ours (execve keeps the pid), but node-pty's wait thread
// that would report its exit went with the old program. So its exit is
// collected here: by waitid for its pid only (never "any child"), at once
// (it may have exited during the switch: a zombie waiting for us) and at
// each SIGCHLD. Like a spawned console, the exit is reported only after
// the last byte it wrote was read.
import { native } from '../native.js';
import { check } from '../sys-error.js';
import type { ConsolePoller } from './console-poller.js';
import { GroupLeftovers } from './group-leftovers.js';
import { claimChild, releaseChild } from './orphan-reaper.js';
import { whenDrained, type ExitStatus, type SpawnedConsole } from './spawn.js';

const waiting = new Map<number, () => boolean>();

/** Takes over fd (a PTY master) and pid (our child, its session leader). */
export function resumeChild(fd: number, pid: number, pty: string, poller: ConsolePoller): SpawnedConsole {
  check(native.setCloseOnExec(fd), 'setCloseOnExec', fd);
  const console = poller.add(fd);
  let reaped = false;
  let leftovers: GroupLeftovers | undefined;
  // The orphan sweeper must leave it to us.
  claimChild(pid);
  const exited = new Promise<ExitStatus>((resolve) => {
    // True once collected (or lost): then it is no longer looked for.
    const collect = (): boolean => {
      const r = native.reapChild(pid);
      if (r === 0) return false;
      reaped = true;
      releaseChild(pid);
      leftovers = GroupLeftovers.find(pid);
      // -ECHILD: the old program's wait thread reaped it in the last
      // microseconds before execve; its status went with that thread.
      const status: ExitStatus = r < 0 ? { exitCode: null, signal: null } : (r & 0xff) === 1 ? { exitCode: r >> 8, signal: null } : { exitCode: null, signal: r >> 8 };
      void whenDrained(console, 1000).then(() => {
        console.close();
        resolve(status);
      });
      return true;
    };
    if (!collect()) watch(pid, collect);
  });
  const unreaped = () => !reaped && native.reapChild(pid, true) >= 0;
  return {
    console,
    pid,
    get exitSeen() {
      return reaped;
    },
    pty,
    exited,
    resize: (cols, rows) => console.resize(cols, rows),
    kill: (signal = 'SIGHUP') => unreaped() && sendSignal(pid, signal),
    signalGroup: (signal) => (unreaped() ? sendSignal(-pid, signal) : (leftovers?.signal(signal) ?? false)),
  };
}

// One SIGCHLD listener for every resumed child, there only while one waits.
function watch(pid: number, collect: () => boolean): void {
  if (waiting.size === 0) process.on('SIGCHLD', onChildExit);
  waiting.set(pid, collect);
}

function onChildExit(): void {
  for (const [pid, collect] of [...waiting]) if (collect()) waiting.delete(pid);
  if (waiting.size === 0) process.off('SIGCHLD', onChildExit);
}

function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
