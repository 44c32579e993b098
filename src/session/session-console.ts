// One console of a session: the child in its PTY, the sinks its output is
// teed to, the hub attached clients subscribe to, and the rules for who
// sets its size (the most recently active writer, as tmux's
// `window-size latest`) and how input from many clients reaches it (one
// write at a time, in arrival order).
import type { AdoptedConsole } from '../console/adopt.js';
import type { ExitStatus, SpawnedConsole } from '../console/spawn.js';
import type { ConsoleReadable } from '../console/console-stream.js';
import type { WindowSize } from '../console/poll-console.js';
import type { ConsoleSpec } from '../config/console-spec.js';
import { OutputHub } from './output-hub.js';
import { Lifecycle } from './lifecycle.js';
import type { Sink } from './sinks/sink.js';

export interface ConsoleEnd {
  name: string;
  exit: ExitStatus;
}

/** closed: an adopted console that was closed (it has no exit status). */
export type ConsoleState = 'running' | 'hung up' | 'exited' | 'closed';

/** Something that may set a console's size: an attached, writing client. */
export interface SizeSource {
  cols: number;
  rows: number;
}

export class SessionConsole {
  /** When its current run started. */
  startedAt = Date.now();
  /** How its current (or last) run ended; undefined while it runs. */
  exit: ExitStatus | undefined;
  /** Settles once the current run's child exited, its last byte was read and every sink flushed. */
  ended!: Promise<ConsoleEnd>;
  /** Settles once no run follows (no restart): what the session waits for. */
  done!: Promise<ConsoleEnd>;
  /** Stops, restarts and the policy that decides about another run. */
  readonly life = new Lifecycle();
  private over = false;
  /** The output offset when input last arrived: where `expect` starts looking. */
  inputMark = 0;
  /** Why it is being stopped (a script's step), told to clients when it ends. */
  stopReason: string | undefined;
  private writers: SizeSource[] = [];
  private inputQueue: Promise<unknown> = Promise.resolve();
  private pendingInput = 0;
  private readonly endListeners = new Set<() => void>();
  /** The reader of the current run: an upgrade stops and resumes its reads. */
  reader: ConsoleReadable | undefined;
  /** Settles once the current run's output has gone through every sink. */
  flushed: Promise<void> = Promise.resolve();
  /** How it was adopted (an upgrade adopts it again the same way). */
  adoptOptions: { closeOnHangup?: number; reapLeader?: boolean } | undefined;

  constructor(
    readonly spec: ConsoleSpec,
    /** The child in its PTY, or an adopted master (pid null); a restart replaces it. */
    public child: SpawnedConsole | AdoptedConsole,
    readonly sinks: readonly Sink[],
    readonly hub: OutputHub,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get state(): ConsoleState {
    if (this.exit !== undefined) return this.exit.exitCode === null && this.exit.signal === null ? 'closed' : 'exited';
    return this.child.console.isHungUp ? 'hung up' : 'running';
  }

  /** Its size now, or undefined once the console is closed. */
  size(): WindowSize | undefined {
    try {
      return this.child.console.size();
    } catch {
      return undefined;
    }
  }

  /** True when its spec fixes the size: no terminal or client changes it. */
  get fixedSize(): boolean {
    return this.spec.cols !== undefined || this.spec.rows !== undefined;
  }

  get hasWriters(): boolean {
    return this.writers.length > 0;
  }

  /**
   * Sends signal to the console's process group; false for an adopted
   * console (no process of ours) or a group already gone.
   */
  signalGroup(signal: NodeJS.Signals): boolean {
    if (this.child.pid === null) return false;
    // forkpty made the child a session and group leader: its group holds
    // everything it started; the child knows when that is still ours.
    return this.child.signalGroup(signal);
  }

  /**
   * Resolves when nothing is behind the console any more: its child ended,
   * or (adopted) every slave closed. A stop script's wait uses it.
   */
  whenGone(): Promise<void> {
    const ended = this.ended.then(() => undefined);
    if (this.child.pid !== null) return ended;
    if (this.child.console.isHungUp) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.child.console.onHangup(resolve);
      void ended.then(() => {
        off();
        resolve();
      });
    });
  }

  /** Closes the console (its master): reads end, a child gets SIGHUP. */
  close(): void {
    if (this.child.pid === null) this.child.kill();
    else this.child.console.close();
  }

  /** Types data into the console, after any input already on its way. */
  input(data: Buffer): Promise<void> {
    this.pendingInput += data.length;
    const write = async () => {
      this.inputMark = this.hub.bytes;
      await this.child.console.write(data);
    };
    const done = this.inputQueue.then(write).finally(() => {
      this.pendingInput -= data.length;
    });
    this.inputQueue = done.catch(() => undefined);
    return done;
  }

  /** Input accepted but not yet taken by the console (it may not be reading). */
  get inputBacklog(): number {
    return this.pendingInput;
  }

  /**
   * Calls cb once the console has ended (at once if it has); returns a
   * cancel, so a client that leaves first is not kept alive until then.
   */
  onEnd(cb: () => void): () => void {
    if (this.over) {
      cb();
      return () => undefined;
    }
    this.endListeners.add(cb);
    return () => this.endListeners.delete(cb);
  }

  /** Called by the session once the console has ended for good (no restart) and flushed. */
  markEnded(exit: ExitStatus): void {
    this.exit = exit;
    this.over = true;
    for (const cb of [...this.endListeners]) cb();
    this.endListeners.clear();
  }

  /** True once it has ended for good (a restart may follow an end). */
  get finished(): boolean {
    return this.over;
  }

  /** A new run begins (a restart, or `start` after the end): child replaces the last one. */
  newRun(child: SpawnedConsole): void {
    this.child = child;
    this.exit = undefined;
    this.over = false;
    this.startedAt = Date.now();
    this.life.runStart = this.hub.bytes;
  }

  /** The size the latest writer wants, if any client is writing. */
  get writerSize(): SizeSource | undefined {
    return this.writers[this.writers.length - 1];
  }

  /** A writer became active (attached or typed): it now sets the size. */
  touchWriter(w: SizeSource): void {
    const latest = this.writers[this.writers.length - 1];
    this.writers = [...this.writers.filter((x) => x !== w), w];
    if (latest !== w) this.applySize(w);
  }

  /** A writer's terminal changed size: it applies if the writer is the latest. */
  resizeWriter(w: SizeSource, cols: number, rows: number): void {
    w.cols = cols;
    w.rows = rows;
    if (this.writers[this.writers.length - 1] === w) this.applySize(w);
  }

  /** A writer left: the size falls back to the next most recent one. */
  dropWriter(w: SizeSource): void {
    const wasLatest = this.writers[this.writers.length - 1] === w;
    this.writers = this.writers.filter((x) => x !== w);
    const next = this.writers[this.writers.length - 1];
    if (wasLatest && next !== undefined) this.applySize(next);
  }

  /** Sets the size (unless fixed or ended) and tells the sinks (recordings). */
  applySize(size: SizeSource): void {
    if (this.fixedSize || this.exit !== undefined) return;
    const now = this.size();
    if (now === undefined || (now.cols === size.cols && now.rows === size.rows)) return;
    try {
      this.child.resize(size.cols, size.rows);
    } catch {
      return; // Ended between the check and here: nothing to resize.
    }
    for (const sink of this.sinks) sink.resize?.(size.cols, size.rows);
  }
}
