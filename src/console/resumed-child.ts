// A child this process started under its previous program (before an
// upgrade's execve): its PTY master arrives as an inherited fd, and the
// child is still ours (execve keeps the pid). Its exit is collected like a
// spawned console's (child-watch.ts: by its own pid, on SIGCHLD, and once at
// once: it may have exited during the switch, a zombie waiting for us), and
// reported only after the last byte it wrote was read.
import { native } from '../native.js';
import { check } from '../sys-error.js';
import { prepareChildWatch, watchChild } from './child-watch.js';
import type { ConsolePoller } from './console-poller.js';
import { GroupLeftovers } from './group-leftovers.js';
import { sendSignal, whenDrained, type ExitStatus, type SpawnedConsole } from './spawn.js';

/** Takes over fd (a PTY master) and pid (our child, its session leader). */
export function resumeChild(fd: number, pid: number, pty: string, poller: ConsolePoller): SpawnedConsole {
  check(native.setCloseOnExec(fd), 'setCloseOnExec', fd);
  const console = poller.add(fd);
  let reaped = false;
  let leftovers: GroupLeftovers | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    prepareChildWatch();
    watchChild(pid, (status) => {
      reaped = true;
      leftovers = GroupLeftovers.find(pid);
      void whenDrained(console, 1000).then(() => {
        console.close();
        resolve(status);
      });
    });
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
