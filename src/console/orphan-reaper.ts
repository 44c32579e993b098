// A child subreaper (PR_SET_CHILD_SUBREAPER) inherits every orphan below it:
// a container's init when `runc run -d` exits, but also the daemons any
// console's program left behind. libuv and node-pty reap only their own
// children, by pid, so the others would stay zombies for the life of the
// server. This reaps them, and only them:
// - only when a child exits (SIGCHLD): no work while nothing happens;
// - never a pid someone waits for: the consoles' children (node-pty's),
//   claimed pids (a container leader an adopted console will collect), and
//   Node's own child_process children. Those libuv reaps in its SIGCHLD
//   handler, which runs in the same poll phase as ours; so a zombie is taken
//   only if it is still there, the same process, one full turn of the loop
//   after it was first seen (one more poll phase: libuv has had its turn).
// The process is a subreaper only while someone uses this.
import fs from 'node:fs';
import { native } from '../native.js';

const claimed = new Set<number>();
const users = new Set<() => Iterable<number>>();
let scheduled = false;

/** Marks pid as someone's to reap (its status matters); the reaper leaves it. */
export function claimChild(pid: number): void {
  claimed.add(pid);
}

export function releaseChild(pid: number): void {
  claimed.delete(pid);
}

/**
 * Makes this process a subreaper and reaps orphan zombies that are not in
 * known(), as they exit; returns the stop, or undefined if this system has
 * no subreapers. The last stop clears the flag.
 */
export function startOrphanReaper(known: () => Iterable<number>): (() => void) | undefined {
  if (users.size === 0) {
    if (native.setChildSubreaper(true) !== 0) return undefined;
    process.on('SIGCHLD', onChildExit);
  }
  users.add(known);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users.delete(known);
    if (users.size > 0) return;
    process.off('SIGCHLD', onChildExit);
    native.setChildSubreaper(false);
  };
}

function onChildExit(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    const seen = unknownZombies();
    if (seen.size > 0) setImmediate(() => reap(seen));
  });
}

// Reaps those seen a loop turn ago that are still the same zombies.
function reap(seen: ReadonlyMap<number, string>): void {
  const now = unknownZombies();
  for (const [pid, started] of seen) if (now.get(pid) === started) native.reapChild(pid);
}

// Zombie children nobody else waits for, each with its start time (which
// tells a reused pid from the process first seen).
function unknownZombies(): Map<number, string> {
  const known = new Set<number>(claimed);
  for (const k of users) for (const pid of k()) known.add(pid);
  const zombies = new Map<number, string>();
  for (const pid of children()) {
    if (known.has(pid)) continue;
    const stat = statFields(pid);
    // Field 3 is the state, field 22 the start time (from the state on: 0 and 19).
    if (stat?.[0] === 'Z') zombies.set(pid, stat[19] ?? '');
  }
  return zombies;
}

// Our children, as the kernel lists them per thread.
function children(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const list = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (list !== '') pids.push(...list.split(' ').map(Number));
    }
  } catch {
    // No /proc (not Linux): no subreaper either.
  }
  return pids;
}

// /proc/PID/stat from the state on (after the command name, which may
// hold spaces and parentheses); undefined once gone.
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
