// Adopting a PTY master someone else made: the fd runc or crun hands over a
// --console-socket, or any inherited master. There is no child of ours to
// wait for, so the console's end is its shutdown: hang-up (every slave fd
// closed) is a state it may leave again when a slave is reopened (`runc exec
// -t`, a program reopening /dev/pts/N), unless closeOnHangup says to end
// after a grace.
import { native } from '../native.js';
import { check } from '../sys-error.js';
import type { ConsolePoller } from './console-poller.js';
import type { PollConsole } from './poll-console.js';
import type { ExitStatus } from './spawn.js';

export interface AdoptOptions {
  poller: ConsolePoller;
  /** End the console this many ms after it hangs up, unless a slave comes back. */
  closeOnHangup?: number;
}

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
  let closed: () => void = () => undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    closed = () => resolve({ exitCode: null, signal: null });
  });
  const kill = () => {
    console.close();
    closed();
  };
  const grace = options.closeOnHangup;
  if (grace !== undefined) {
    console.onHangup(() => {
      setTimeout(() => {
        if (console.isHungUp) kill();
      }, grace).unref();
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
