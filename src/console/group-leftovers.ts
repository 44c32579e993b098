// What is left of a console's process group once its leader was reaped:
// background processes the leader started (`sleep 300 &`) that outlived it.
// The group's number is the leader's pid, and the kernel may hand that pid
// to an unrelated process (which can then lead a group of the same number)
// only once no member of ours is left. So the group is signalled only while
// a member we found at the leader's reap is provably still in it: its pidfd
// (which never follows a reused pid) says it lives, and it still has the
// group. Found at once when the leader's exit is reported: a pid is reused
// only after the kernel's allocator went round all the others.
import fs from 'node:fs';
import { native } from '../native.js';

interface Member {
  pid: number;
  pidfd: number;
}

export class GroupLeftovers {
  private constructor(
    private readonly pgid: number,
    private members: Member[],
  ) {}

  /** The members of group pgid now, pinned by pidfds; undefined if there are none (or no pidfds here). */
  static find(pgid: number): GroupLeftovers | undefined {
    if (!groupExists(pgid)) return undefined;
    const members: Member[] = [];
    for (const pid of groupMembers(pgid)) {
      const pidfd = native.pidfdOpen(pid);
      if (pidfd >= 0) members.push({ pid, pidfd });
    }
    return members.length > 0 ? new GroupLeftovers(pgid, members) : undefined;
  }

  /**
   * Signals the group if one of its members is still in it, so its number
   * is still ours; false (and nothing sent) otherwise. SIGKILL is the last
   * word: the members are let go after it.
   */
  signal(signal: NodeJS.Signals): boolean {
    // The group's number read first, then the pidfd: a member alive after
    // the read was the process the read was about.
    const pinned = this.members.some((m) => groupOf(m.pid) === this.pgid && native.pidfdSendSignal(m.pidfd, 0) === 0);
    let sent = false;
    if (pinned) {
      try {
        process.kill(-this.pgid, signal);
        sent = true;
      } catch {
        // Emptied between the check and the signal: nothing to reach.
      }
    }
    if (!sent || signal === 'SIGKILL') this.release();
    return sent;
  }

  /** Closes the pidfds; the group is never signalled again. */
  release(): void {
    for (const m of this.members) native.close(m.pidfd);
    this.members = [];
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    // ESRCH: empty. EPERM: not ours to signal anyway.
    return false;
  }
}

// Every process whose group is pgid, from /proc (none where there is no
// /proc). One scan serves every console whose exit is reported in the same
// turn of the loop: many consoles ending at once cost one pass, not one each.
let scan: Map<number, number[]> | undefined;

function groupMembers(pgid: number): number[] {
  if (scan === undefined) {
    scan = scanGroups();
    setImmediate(() => (scan = undefined));
  }
  return scan.get(pgid) ?? [];
}

function scanGroups(): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return groups;
  }
  for (const pid of pids.map(Number)) {
    const group = groupOf(pid);
    if (group <= 0) continue;
    const members = groups.get(group);
    if (members === undefined) groups.set(group, [pid]);
    else members.push(pid);
  }
  return groups;
}

// The process group of pid, from /proc/PID/stat (the fields after the
// command name, which may itself hold spaces and parentheses); -1 if gone.
function groupOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return -1;
  }
}
