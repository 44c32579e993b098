// Starts a child in a new PTY with node-pty's fork, then hands the master to
// our poller: exactly one reader of the fd. The exit is reported only after
// every byte the child wrote has been read: drain, then shut down.
import { native } from '../native.js';
import { check } from '../sys-error.js';
import { ConsolePoller } from './console-poller.js';
import { GroupLeftovers } from './group-leftovers.js';
import { nodePtyNative } from './node-pty-native.js';
import { diagnoseSpawnFailure, refuseNearFdLimit } from './spawn-error.js';
import type { PollConsole } from './poll-console.js';

export interface SpawnOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** TERM for the child (default: env.TERM, else xterm-256color). */
  name?: string;
  /** The poller to register with (default: a shared one). */
  poller?: ConsolePoller;
  /**
   * After the child exits, how long a reader may sit drained (EAGAIN, no
   * hang-up) before the console is shut down anyway: a background grandchild
   * can hold the slave open forever. Default 1000 ms.
   */
  drainTimeout?: number;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the child. */
  exitCode: number | null;
  /** The signal number that ended the child, or null. */
  signal: number | null;
}

export interface SpawnedConsole {
  readonly console: PollConsole;
  readonly pid: number;
  /** True once the child's exit was collected (its output may still be draining). */
  readonly exitSeen: boolean;
  /** The slave's path, e.g. /dev/pts/3. */
  readonly pty: string;
  /** Settles after the child exited and its last byte was read. */
  readonly exited: Promise<ExitStatus>;
  resize(cols: number, rows: number): void;
  /**
   * Signals the child (default SIGHUP, as a terminal closing would); false
   * once it was reaped: its pid may belong to someone else by now.
   */
  kill(signal?: NodeJS.Signals): boolean;
  /**
   * Signals the child's process group: while the child is not reaped, or
   * after, while a process it left in the group provably still is (see
   * group-leftovers.ts); false when nothing of ours was reached.
   */
  signalGroup(signal: NodeJS.Signals): boolean;
}

let shared: ConsolePoller | undefined;

/** The ConsolePoller spawn uses when given none. */
export function defaultConsolePoller(): ConsolePoller {
  if (shared === undefined || shared.poller.isClosed) shared = new ConsolePoller();
  return shared;
}

export function spawn(file: string, args: readonly string[] = [], options: SpawnOptions = {}): SpawnedConsole {
  const { binding, helperPath } = nodePtyNative();
  const env = { ...(options.env ?? process.env) };
  env.TERM = options.name ?? env.TERM ?? 'xterm-256color';
  const envList = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const cwd = options.cwd ?? process.cwd();
  const poller = options.poller ?? defaultConsolePoller();

  let onExit: (code: number, signal: number) => void = () => undefined;
  // Our fds are close-on-exec; any the caller left open are made so too,
  // since node-pty's fork closes nothing before exec.
  native.markCloseOnExec(3);
  refuseNearFdLimit();
  let term: ReturnType<typeof binding.fork>;
  try {
    term = binding.fork(
      file, [...args], envList, cwd, options.cols ?? 80, options.rows ?? 24,
      -1, -1, true, helperPath, (code, signal) => onExit(code, signal),
    );
  } catch (err) {
    throw diagnoseSpawnFailure(err as Error);
  }
  let console: PollConsole;
  try {
    // forkpty leaves the master inheritable: without this every later child
    // would hold this console open and it would never hang up.
    check(native.setCloseOnExec(term.fd), 'setCloseOnExec', term.fd);
    console = poller.add(term.fd);
  } catch (err) {
    // A child nobody will read or stop (the poller was closed meanwhile)
    // must not outlive this call.
    sendSignal(term.pid, 'SIGKILL');
    native.close(term.fd);
    throw err;
  }
  let reaped = false;
  // node-pty's thread reaps the child before its exit callback reaches us:
  // waitid(WNOWAIT) closes that window to the instant between it and kill.
  const unreaped = () => !reaped && native.reapChild(term.pid, true) >= 0;
  let leftovers: GroupLeftovers | undefined;

  const exited = new Promise<ExitStatus>((resolve) => {
    onExit = (code, signal) => {
      // node-pty's thread has just reaped the child: from here on its pid
      // is not ours, only what it left in its group may be.
      reaped = true;
      leftovers = GroupLeftovers.find(term.pid);
      const status = signal > 0 ? { exitCode: null, signal } : { exitCode: code, signal: null };
      whenDrained(console, options.drainTimeout ?? 1000).then(() => {
        console.close();
        resolve(status);
      });
    };
  });

  return {
    console,
    pid: term.pid,
    get exitSeen() {
      return reaped;
    },
    pty: term.pty,
    exited,
    resize: (cols, rows) => console.resize(cols, rows),
    // An unreaped child, even a zombie, holds its pid and so its group's
    // number: until node-pty says it reaped it, the numbers are ours. (No
    // pidfd is kept per console: it would halve the consoles a descriptor
    // limit allows, and the group is signalled by number all the same.)
    kill: (signal = 'SIGHUP') => unreaped() && sendSignal(term.pid, signal),
    signalGroup: (signal) => {
      if (unreaped()) return sendSignal(-term.pid, signal);
      return leftovers?.signal(signal) ?? false;
    },
  };
}

function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

// Resolves once the reader has met the hang-up (EIO: every byte the child
// wrote has been read; the kernel flushes its queue before reporting EIO),
// or has sat drained for `timeout` ms with the slave still held open.
export function whenDrained(console: PollConsole, timeout: number): Promise<void> {
  if (console.isHungUp || console.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const off = console.onHangup(done);
    let lastMark = console.readMark;
    const timer = setInterval(() => {
      const mark = console.readMark;
      if (mark === lastMark && console.isDrained) done();
      lastMark = mark;
    }, timeout);
    timer.unref();
    function done(): void {
      clearInterval(timer);
      off();
      resolve();
    }
  });
}
