// A child this process started under its previous program (before an
// upgrade's execve): its PTY master arrives as an inherited fd, and the
// child is still ours (execve keeps the pid). Its console is a spawned
// one's (spawn.ts childConsole), and its exit is collected the same way
// (child-watch.ts: by its own pid, on SIGCHLD, and once at once: it may have
// exited during the switch, a zombie waiting for us).
import { native } from '../native.js';
import { check } from '../sys-error.js';
import { prepareChildWatch, watchChild } from './child-watch.js';
import type { ConsolePoller } from './console-poller.js';
import { childConsole, type SpawnedConsole } from './spawn.js';

/** Takes over fd (a PTY master) and pid (our child, its session leader). */
export function resumeChild(fd: number, pid: number, pty: string, poller: ConsolePoller): SpawnedConsole {
  check(native.setCloseOnExec(fd), 'setCloseOnExec', fd);
  const child = childConsole(poller.add(fd), { fd, pid, pty }, 1000);
  prepareChildWatch();
  watchChild(pid, child.onExit);
  return child.spawned;
}
