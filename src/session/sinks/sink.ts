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
  /** Flushes and closes; resolves when everything is written. */
  end(): Promise<void>;
}
