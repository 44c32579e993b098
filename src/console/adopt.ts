// Adopting a PTY master someone else made: the fd runc or crun hands over a
// --console-socket, or any inherited master. There is no child of ours to
// wait for, so the console's end is its shutdown: hang-up (every slave fd
// closed) is a state it may leave again when a slave is reopened (`runc exec
// -t`, a program reopening /dev/pts/N), unless closeOnHangup says to end
// after a grace.
import { native } from '../native.js';
import { check } from '../sys-error.js';
import type { ConsolePoller } from './console-poller.js';
import { claimChild, releaseChild } from './orphan-reaper.js';
import type { PollConsole } from './poll-console.js';
import type { ExitStatus } from './spawn.js';

export interface AdoptOptions {
  poller: ConsolePoller;
  /** End the console this many ms after it hangs up, unless a slave comes back. */
  closeOnHangup?: number;
  /**
   * When the console hangs up, collect the exit status of the terminal's
   * session leader (a container's init) if it is ours to collect (this
   * process is a child subreaper and started the runtime); the console
   * then ends with it, like a spawned one.
   */
  reapLeader?: boolean;
}

/** How long after a hang-up the leader's exit may take to become visible. */
const REAP_WINDOW_MS = 2000;
const REAP_POLL_MS = 25;
/**
 * A runtime sends the master before its init makes the slave its
 * controlling terminal: the leader is looked for this often, this long.
 */
const LEARN_POLL_MS = 5;
const LEARN_WINDOW_MS = 5000;

export interface AdoptedConsole {
  readonly console: PollConsole;
  /** No process of ours is behind it. */
  readonly pid: null;
  /** The slave's path, e.g. /dev/pts/3, or '' if the kernel will not say. */
  readonly pty: string;
  /** Settles when the console is closed: both fields null (no process status). */
  readonly exited: Promise<ExitStatus>;
  resize(cols: number, rows: number): void;
  /** Closes the console: reads end after what was already read. */
  kill(): void;
}

/** Takes ownership of fd, a PTY master. */
export function adopt(fd: number, options: AdoptOptions): AdoptedConsole {
  check(native.setCloseOnExec(fd), 'setCloseOnExec', fd);
  const name = native.ptsName(fd);
  const console = options.poller.add(fd);
  let settle: (status: ExitStatus) => void = () => undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    settle = resolve;
  });
  let releaseLeader = () => undefined as void;
  const end = (status: ExitStatus) => {
    console.close();
    releaseLeader();
    settle(status);
  };
  const kill = () => end({ exitCode: null, signal: null });
  if (options.reapLeader) releaseLeader = reapLeaderOnHangup(console, end);
  const grace = options.closeOnHangup;
  if (grace !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    console.onHangup(() => {
      // One grace per hang-up: a slave that came back and went again
      // starts it over, it does not add a second.
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (console.isHungUp) kill();
      }, grace);
      timer.unref();
    });
  }
  return {
    console,
    pid: null,
    pty: typeof name === 'string' ? name : '',
    exited,
    resize: (cols, rows) => console.resize(cols, rows),
    kill,
  };
}

// The leader is the slave's session id, read while its session holds the
// terminal. At hang-up its status is polled for a short while: the terminal
// closes a moment before the process becomes a zombie, and a container that
// exits before `runc run -d` does becomes ours only when the runtime exits.
// A container that exits within a few ms of starting may be missed: then
// the console ends closed, as any adopted one.
function reapLeaderOnHangup(console: PollConsole, end: (status: ExitStatus) => void): () => void {
  let leader = 0;
  const learnUntil = Date.now() + LEARN_WINDOW_MS;
  const learn = () => {
    const sid = native.sessionOf(console.fd);
    if (sid > 0) {
      leader = sid;
      // Ours to reap, not the orphan sweeper's, while the console is open.
      claimChild(leader);
    }
    else if (!console.closed && !console.isHungUp && Date.now() < learnUntil) setTimeout(learn, LEARN_POLL_MS).unref();
  };
  learn();
  console.onHangup(() => {
    if (leader <= 0) return;
    const deadline = Date.now() + REAP_WINDOW_MS;
    const poll = () => {
      if (console.closed) return;
      const r = native.reapChild(leader);
      if (r > 0) {
        const value = Math.floor(r / 256);
        end((r & 0xff) === 1 ? { exitCode: value, signal: null } : { exitCode: null, signal: value });
      } else if (Date.now() < deadline) {
        // 0: still running. -ECHILD: not (yet) ours.
        setTimeout(poll, REAP_POLL_MS).unref();
      }
    };
    poll();
  });
  // Once the console is closed, a leader not reaped here is the sweeper's.
  return () => {
    if (leader > 0) releaseChild(leader);
  };
}

