// A place a console's output goes. A lossless sink (a log, a recording, the
// terminal) must see every byte: when it is full the console stops being read
// until it drains, and the kernel's PTY buffer makes the child wait.
export interface Sink {
  readonly lossless: boolean;
  /** false when full: stop feeding until onDrain's callback runs. */
  write(chunk: Buffer): boolean;
  onDrain(cb: () => void): void;
  /** The console's window size changed. */
  resize?(cols: number, rows: number): void;
  /** A line about the console itself (its end), not its output. */
  note?(text: string): void;
  /** Resolves when everything written so far is written (the sink stays open: a restart may follow). */
  flush?(): Promise<void>;
  /** Flushes and closes; resolves when everything is written. */
  end(): Promise<void>;
}

/**
 * Calls cb when `out` drains, or when it closes: a terminal that went away
 * (EIO after SIGHUP, EPIPE) never drains, and must not hold the console and
 * its other sinks paused forever.
 */
export function onDrainOrClose(out: NodeJS.WritableStream & { destroyed?: boolean }, cb: () => void): void {
  if (out.destroyed) {
    cb();
    return;
  }
  const done = () => {
    out.removeListener('drain', done);
    out.removeListener('close', done);
    cb();
  };
  out.once('drain', done);
  out.once('close', done);
}
