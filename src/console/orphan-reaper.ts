// A child subreaper (PR_SET_CHILD_SUBREAPER) inherits every orphan below it:
// a container's init when `runc run -d` exits, but also the daemons any
// console's program left behind. libuv and node-pty reap only their own
// children, by pid, so the others would stay zombies for the life of the
// server. This sweeps them up, never touching a pid someone else waits
// for: the consoles' children (node-pty's) and claimed pids (a container
// leader whose status an adopted console is waiting to collect).
import fs from 'node:fs';
import { native } from '../native.js';

const claimed = new Set<number>();
const SWEEP_MS = 1000;

/** Marks pid as someone's to reap (its status matters); the sweeper leaves it. */
export function claimChild(pid: number): void {
  claimed.add(pid);
}

export function releaseChild(pid: number): void {
  claimed.delete(pid);
}

/** Sweeps zombie children not in known() and not claimed, every second; returns the stop. */
export function startOrphanReaper(known: () => Iterable<number>): () => void {
  const timer = setInterval(() => sweep(new Set(known())), SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function sweep(known: ReadonlySet<number>): void {
  for (const pid of children()) {
    if (known.has(pid) || claimed.has(pid) || !isZombie(pid)) continue;
    native.reapChild(pid);
  }
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
    // No /proc (not Linux): nothing to sweep, nothing inherited either.
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
  } catch {
    return false;
  }
}
