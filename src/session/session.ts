// The engine: a named set of consoles, each a child in its own PTY (and its
// own session and process group), fanned out to its sinks. It starts them,
// follows the window size, stops them (a signal to each process group, then
// SIGKILL after a grace) and reports each end in the order they happen.
import { EventEmitter } from 'node:events';
import { ConsolePoller } from '../console/console-poller.js';
import { ConsoleReadable } from '../console/console-stream.js';
import { spawn, type ExitStatus, type SpawnedConsole } from '../console/spawn.js';
import { consoleSize, type ConsoleSpec } from './console-spec.js';
import type { Sink } from './sinks/sink.js';
import { tee } from './tee.js';

export interface ConsoleEnd {
  name: string;
  exit: ExitStatus;
}

export interface RunningConsole {
  readonly spec: ConsoleSpec;
  readonly child: SpawnedConsole;
  readonly sinks: readonly Sink[];
  /** Settles once the child exited, its last byte was read and every sink flushed. */
  readonly ended: Promise<ConsoleEnd>;
  exit?: ExitStatus;
}

export interface SessionEvents {
  end: [ConsoleEnd];
}

export class Session extends EventEmitter<SessionEvents> {
  readonly consoles = new Map<string, RunningConsole>();
  readonly ends: ConsoleEnd[] = [];
  private readonly poller = new ConsolePoller();
  private killTimer: NodeJS.Timeout | undefined;

  /** Starts spec's command with `$SHELL -c` in a new PTY, teed to sinks. */
  start(spec: ConsoleSpec, sinks: readonly Sink[], size: { cols: number; rows: number }): RunningConsole {
    if (this.consoles.has(spec.name)) throw new Error(`a console named "${spec.name}" already exists`);
    const shell = process.env.SHELL || '/bin/sh';
    const child = spawn(shell, ['-c', spec.cmd], {
      poller: this.poller,
      ...consoleSize(spec, size),
      ...(spec.cwd !== undefined && { cwd: spec.cwd }),
      env: { ...process.env, ...spec.env, PTYPLEX: '1', PTYPLEX_CONSOLE: spec.name },
    });
    const flushed = tee(new ConsoleReadable(child.console), sinks);
    const ended = Promise.all([child.exited, flushed]).then(([exit]) => {
      const end = { name: spec.name, exit };
      running.exit = exit;
      this.ends.push(end);
      this.emit('end', end);
      return end;
    });
    const running: RunningConsole = { spec, child, sinks, ended };
    this.consoles.set(spec.name, running);
    return running;
  }

  /** Consoles whose child has not exited yet. */
  live(): RunningConsole[] {
    return [...this.consoles.values()].filter((c) => c.exit === undefined);
  }

  /** Resizes every console that follows the terminal (no fixed size). */
  resize(cols: number, rows: number): void {
    for (const c of this.live()) {
      if (c.spec.cols !== undefined || c.spec.rows !== undefined) continue;
      try {
        c.child.resize(cols, rows);
        for (const sink of c.sinks) sink.resize?.(cols, rows);
      } catch {
        // The console ended between live() and here: nothing to resize.
      }
    }
  }

  /**
   * Sends `signal` to every live console's process group, then SIGKILL to
   * those still alive after killTimeout ms.
   */
  stop(signal: NodeJS.Signals, killTimeout: number): void {
    for (const c of this.live()) signalGroup(c.child.pid, signal);
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => this.kill(), killTimeout);
    this.killTimer.unref();
  }

  /** SIGKILL to every console's process group, now. */
  kill(): void {
    clearTimeout(this.killTimer);
    for (const c of this.consoles.values()) signalGroup(c.child.pid, 'SIGKILL');
  }

  /** Resolves with every end, in order, once all consoles have ended. */
  async whenAllEnded(): Promise<ConsoleEnd[]> {
    await Promise.all([...this.consoles.values()].map((c) => c.ended));
    clearTimeout(this.killTimer);
    // Nothing a console started outlives the session: background
    // grandchildren left in a console's process group go with it.
    this.kill();
    this.poller.close();
    return this.ends;
  }
}

// Each console's child leads its own session and process group (forkpty
// calls setsid), so -pid reaches it and everything it started in the group.
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}
