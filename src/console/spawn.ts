// Starts a child in a new PTY, then hands the master to our poller: exactly
// one reader of the fd. The exit is reported only after every byte the child
// wrote has been read: drain, then shut down.
//
// On Linux the child is started by the addon's posix_spawn (spawnPty) and
// its exit collected on SIGCHLD (child-watch.ts): node-pty's fork keeps a
// thread per child, and every later fork copies every thread's stack
// mapping, so with thousands of consoles each start took tens of
// milliseconds (native/spawn_pty.cc has the figures). Elsewhere (macOS, BSD:
// the controlling terminal needs an ioctl after fork) node-pty's fork does it.
import fs from 'node:fs';
import nodePath from 'node:path';
import { native } from '../native.js';
import { check, ENOENT, ENOEXEC } from '../sys-error.js';
import { prepareChildWatch, watchChild } from './child-watch.js';
import { ConsolePoller } from './console-poller.js';
import { GroupLeftovers } from './group-leftovers.js';
import { nodePtyNative } from './node-pty-native.js';
import { diagnoseSpawnFailure, refuseNearFdLimit, spawnFailure } from './spawn-error.js';
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
  const env = { ...(options.env ?? process.env) };
  env.TERM = options.name ?? env.TERM ?? 'xterm-256color';
  const envList = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const cwd = options.cwd ?? process.cwd();
  const poller = options.poller ?? defaultConsolePoller();

  let onExit: (status: ExitStatus) => void = () => undefined;
  // Our fds are close-on-exec; any the caller left open are made so too,
  // since neither way of starting closes anything before exec.
  native.markCloseOnExec(3);
  refuseNearFdLimit();
  const cols = options.cols ?? 80;
  const rows = options.rows ?? 24;
  const term = process.platform === 'linux'
    ? spawnInPty(file, args, envList, env.PATH, cwd, cols, rows, (status) => onExit(status))
    : forkInPty(file, args, envList, cwd, cols, rows, (status) => onExit(status));
  let console: PollConsole;
  try {
    console = poller.add(term.fd);
  } catch (err) {
    // A child nobody will read or stop (the poller was closed meanwhile)
    // must not outlive this call.
    sendSignal(term.pid, 'SIGKILL');
    native.close(term.fd);
    throw err;
  }
  const child = childConsole(console, term, options.drainTimeout ?? 1000);
  onExit = child.onExit;
  return child.spawned;
}

/**
 * A started child's console, for spawn and for a child an upgrade handed
 * over (resumed-child.ts): its exit, passed to onExit once the child is
 * reaped, is reported after the last byte it wrote was read; it is
 * signalled only while its pid (or, after, what it left in its group) is
 * provably ours.
 */
export function childConsole(console: PollConsole, term: Started, drainTimeout: number): { spawned: SpawnedConsole; onExit: (status: ExitStatus) => void } {
  let reaped = false;
  // node-pty's thread reaps the child before its exit callback reaches us:
  // waitid(WNOWAIT) closes that window to the instant between it and kill.
  // (Ours reaps in the callback's own turn: the peek then only agrees.)
  const unreaped = () => !reaped && native.reapChild(term.pid, true) >= 0;
  let leftovers: GroupLeftovers | undefined;
  let onExit!: (status: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((resolve) => {
    onExit = (status) => {
      // The child has just been reaped: from here on its pid is not ours,
      // only what it left in its group may be.
      reaped = true;
      leftovers = GroupLeftovers.find(term.pid);
      whenDrained(console, drainTimeout).then(() => {
        console.close();
        resolve(status);
      });
    };
  });
  const spawned: SpawnedConsole = {
    console,
    pid: term.pid,
    get exitSeen() {
      return reaped;
    },
    pty: term.pty,
    exited,
    resize: (cols, rows) => console.resize(cols, rows),
    // An unreaped child, even a zombie, holds its pid and so its group's
    // number: until it is reaped, the numbers are ours. (No pidfd is kept
    // per console: it would halve the consoles a descriptor limit allows,
    // and the group is signalled by number all the same.)
    kill: (signal = 'SIGHUP') => unreaped() && sendSignal(term.pid, signal),
    signalGroup: (signal) => {
      if (unreaped()) return sendSignal(-term.pid, signal);
      return leftovers?.signal(signal) ?? false;
    },
  };
  return { spawned, onExit };
}

export interface Started {
  fd: number;
  pid: number;
  pty: string;
}

// Linux: the addon's posix_spawn. The program is looked up in the child's
// PATH here, as execvp would in a forked child.
function spawnInPty(file: string, args: readonly string[], envList: string[], path: string | undefined, cwd: string, cols: number, rows: number, onExit: (s: ExitStatus) => void): Started {
  const out = new Int32Array(2);
  prepareChildWatch();
  const program = resolveProgram(file, path, cwd);
  if (program === undefined) throw spawnFailure(-ENOENT, file);
  let r = native.spawnPty(program, [file, ...args], envList, cwd, cols, rows, out);
  // A file with no #! line: execvp runs it with the shell, and so do we.
  if (r === ENOEXEC) r = native.spawnPty('/bin/sh', ['/bin/sh', program, ...args], envList, cwd, cols, rows, out);
  if (r < 0) throw spawnFailure(-r, file);
  const [pid, fd] = [out[0]!, out[1]!];
  watchChild(pid, onExit);
  const pty = native.ptsName(fd);
  return { pid, fd, pty: typeof pty === 'string' ? pty : '' };
}

// Elsewhere: node-pty's forkpty, whose thread reports the exit.
function forkInPty(file: string, args: readonly string[], envList: string[], cwd: string, cols: number, rows: number, onExit: (s: ExitStatus) => void): Started {
  const { binding, helperPath } = nodePtyNative();
  let term: Started;
  try {
    term = binding.fork(file, [...args], envList, cwd, cols, rows, -1, -1, true, helperPath, (code, signal) =>
      onExit(signal > 0 ? { exitCode: null, signal } : { exitCode: code, signal: null }),
    );
  } catch (err) {
    throw diagnoseSpawnFailure(err as Error);
  }
  // forkpty leaves the master inheritable: without this every later child
  // would hold this console open and it would never hang up.
  const r = native.setCloseOnExec(term.fd);
  if (r < 0) {
    sendSignal(term.pid, 'SIGKILL');
    native.close(term.fd);
    check(r, 'setCloseOnExec', term.fd);
  }
  return term;
}

// execvp's search: a name without a slash is looked for in each PATH entry
// (relative entries from the child's cwd); the first executable file wins.
// Not found: undefined (ENOENT). Never the bare name: execve would take it
// relative to the cwd, running a file there that PATH does not name.
function resolveProgram(file: string, path: string | undefined, cwd: string): string | undefined {
  if (file.includes('/')) return nodePath.resolve(cwd, file);
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = nodePath.resolve(cwd, dir === '' ? '.' : dir, file);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** process.kill without the throw: false when nothing was reached. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
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
