// The engine: a named set of consoles, each a child in its own PTY (and its
// own session and process group), fanned out to its sinks and to the hub
// attached clients read from. It starts them (also while running), follows
// the window size, stops them (a signal to each process group, then SIGKILL
// after a grace) and reports each end in the order they happen.
import { EventEmitter } from 'node:events';
import { ConsolePoller } from '../console/console-poller.js';
import { ConsoleReadable } from '../console/console-stream.js';
import { spawn } from '../console/spawn.js';
import { consoleSize, type ConsoleSpec } from './console-spec.js';
import { OutputHub } from './output-hub.js';
import { SessionConsole, type ConsoleEnd } from './session-console.js';
import type { Sink } from './sinks/sink.js';
import { tee } from './tee.js';

export type { ConsoleEnd } from './session-console.js';

export interface SessionOptions {
  /** Bytes of recent output each console keeps for replay (default 256 KiB). */
  ringSize?: number;
  /** Extra environment for every child (e.g. the control socket's path). */
  env?: Record<string, string>;
}

export interface SessionEvents {
  start: [SessionConsole];
  end: [ConsoleEnd];
}

export const DEFAULT_RING_SIZE = 256 * 1024;

export class Session extends EventEmitter<SessionEvents> {
  readonly consoles = new Map<string, SessionConsole>();
  readonly ends: ConsoleEnd[] = [];
  readonly startedAt = Date.now();
  private readonly poller = new ConsolePoller();
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionOptions = {}) {
    super();
  }

  /** Starts spec's command with `$SHELL -c` in a new PTY, teed to sinks. */
  start(spec: ConsoleSpec, sinks: readonly Sink[], size: { cols: number; rows: number }): SessionConsole {
    if (this.consoles.has(spec.name)) throw new Error(`a console named "${spec.name}" already exists`);
    const shell = process.env.SHELL || '/bin/sh';
    const child = spawn(shell, ['-c', spec.cmd], {
      poller: this.poller,
      ...consoleSize(spec, size),
      ...(spec.cwd !== undefined && { cwd: spec.cwd }),
      env: { ...process.env, ...this.options.env, ...spec.env, PTYPLEX: '1', PTYPLEX_CONSOLE: spec.name },
    });
    const hub = new OutputHub(this.options.ringSize ?? DEFAULT_RING_SIZE);
    const c = new SessionConsole(spec, child, sinks, hub);
    const flushed = tee(new ConsoleReadable(child.console), [...sinks, hub]);
    c.ended = Promise.all([child.exited, flushed]).then(([exit]) => {
      const end = { name: spec.name, exit };
      c.exit = exit;
      this.ends.push(end);
      this.emit('end', end);
      return end;
    });
    this.consoles.set(spec.name, c);
    this.emit('start', c);
    return c;
  }

  /** Consoles whose child has not exited yet. */
  live(): SessionConsole[] {
    return [...this.consoles.values()].filter((c) => c.exit === undefined);
  }

  /**
   * The terminal the session runs on changed size: consoles that follow it
   * (no fixed size, no attached writer, who would set it instead) resize.
   */
  resize(cols: number, rows: number): void {
    for (const c of this.live()) if (!c.hasWriters) c.applySize({ cols, rows });
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

  /**
   * Resolves with every end, in order, once all consoles have ended,
   * including consoles started while it waited.
   */
  async whenAllEnded(): Promise<ConsoleEnd[]> {
    let seen = -1;
    while (seen !== this.consoles.size) {
      seen = this.consoles.size;
      await Promise.all([...this.consoles.values()].map((c) => c.ended));
    }
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
