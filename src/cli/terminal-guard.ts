// Puts the user's terminal in raw mode for an attached client and promises
// to give it back exactly as it was (termios, cursor shown, main screen,
// the modes a console may have switched on), however the client ends: by
// itself, by a signal it can catch, or by SIGKILL, which it cannot. For the
// last, a small watcher process (restore-guard.js) holds one end of a pipe:
// when the client dies without saying "done", the watcher restores.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadStream } from 'node:tty';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { native } from '../native.js';
import { LEAVE_ALT } from '../session/screen-mode.js';
import { socketFd } from '../server/unix-socket.js';

/**
 * What a console may have switched on and a shell expects off: SGR
 * attributes, mouse reporting, bracketed paste, application cursor keys and
 * keypad; then the cursor shown.
 */
export const RESET_MODES = '\x1b[0m\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>\x1b[?25h';

const GUARD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'restore-guard.js');

export class TerminalGuard {
  private restored = false;
  private alternate = false;
  private readonly onExit = () => this.restore();

  private constructor(
    private readonly stdin: ReadStream,
    private readonly saved: Buffer,
    private readonly watcher: ChildProcess,
  ) {
    process.once('exit', this.onExit);
  }

  /** Saves the terminal, starts the watcher, enters raw mode. */
  static enter(stdin: ReadStream): TerminalGuard {
    const saved = termios(0);
    stdin.setRawMode(true);
    const raw = termios(0);
    // Its own session: a SIGKILL to the client's whole process group must
    // not take the watcher with it. The terminal, not being its
    // controlling terminal then, is restored without job-control checks.
    const watcher = spawn(process.execPath, [GUARD, saved.toString('hex'), raw.toString('hex')], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 0],
      detached: true,
    });
    watcher.unref();
    (watcher.stdio[3] as Socket).unref();
    return new TerminalGuard(stdin, saved, watcher);
  }

  /** The console switched screens: the watcher must know which to leave. */
  setAlternate(on: boolean): void {
    if (on === this.alternate) return;
    this.alternate = on;
    this.tell(on ? 'alt\n' : 'main\n');
  }

  /** Gives the terminal back; idempotent, safe in an exit handler (synchronous). */
  restore(): void {
    if (this.restored) return;
    this.restored = true;
    process.off('exit', this.onExit);
    try {
      this.stdin.setRawMode(false);
    } catch {
      // The terminal is gone (hung up): nothing to restore.
    }
    native.tcSetAttr(0, this.saved);
    writeNow(1, (this.alternate ? LEAVE_ALT : '') + RESET_MODES);
    this.tell('done\n');
    (this.watcher.stdio[3] as Writable | null)?.end();
  }

  // Written at once (not queued): restore() may run in an exit handler,
  // after which nothing queued is ever written.
  private tell(line: string): void {
    const pipe = this.watcher.stdio[3] as Socket | null;
    const fd = pipe !== null && !pipe.destroyed ? socketFd(pipe) : undefined;
    if (fd !== undefined) writeNow(fd, line);
  }
}

/** The terminal's termios, saved whole. */
export function termios(fd: number): Buffer {
  const buf = Buffer.alloc(native.termiosSize);
  const r = native.tcGetAttr(fd, buf);
  if (r < 0) throw new Error(`tcgetattr: errno ${-r}`);
  return buf;
}

// Synchronous: from an exit handler, a stream write would never happen.
function writeNow(fd: number, text: string): void {
  const buf = Buffer.from(text);
  native.write(fd, buf, 0, buf.length);
}
