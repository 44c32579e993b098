// A console's output onto a terminal shared with other consoles, one whole
// line at a time, each behind the console's label. A partial line is held
// until its newline, or written with a marker once it has waited idleMs since
// its first byte or grown past MAX_HELD, so two consoles never interleave
// inside a line, steady output without a newline still shows, and the work
// is linear (the pieces are joined once) and the memory bounded. Bytes are
// never decoded: the children's colours and UTF-8 pass through untouched.
import type { Writable } from 'node:stream';
import { onDrainOrClose, type Sink } from './sink.js';

export interface PrefixOptions {
  /** Printed before every line, e.g. a coloured, padded "web | ". */
  label: string;
  /** Adds an HH:MM:SS.mmm column before the label. */
  timestamps?: boolean;
  /** Ends a partial line flushed early (zsh's PROMPT_EOL_MARK, "%"). */
  marker?: string;
  /** How long a partial line may wait for its newline (ms). */
  idleMs?: number;
}

const NL = 0x0a;
/** The most of a partial line held back for its newline (bytes). */
const MAX_HELD = 8 * 1024;

export class PrefixSink implements Sink {
  readonly lossless = true;
  private partial: Buffer[] = [];
  private held = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable,
    private readonly options: PrefixOptions,
  ) {}

  write(chunk: Buffer): boolean {
    const parts: Buffer[] = [];
    let data = chunk;
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL)) {
      parts.push(this.head(), ...this.partial, data.subarray(0, nl + 1));
      this.partial = [];
      this.held = 0;
      data = data.subarray(nl + 1);
    }
    // A line that ended takes its idle time with it.
    if (parts.length > 0) this.armIdleFlush();
    if (data.length > 0) {
      this.partial.push(data);
      this.held += data.length;
    }
    if (this.held > MAX_HELD) parts.push(this.partialLine());
    this.armIdleFlush();
    if (parts.length === 0 || this.out.destroyed) return true;
    return this.out.write(Buffer.concat(parts));
  }

  onDrain(cb: () => void): void {
    onDrainOrClose(this.out, cb);
  }

  note(text: string): void {
    this.flushPartial();
    this.out.write(Buffer.concat([this.head(), Buffer.from(`${text}\n`)]));
  }

  end(): Promise<void> {
    this.flushPartial();
    return Promise.resolve();
  }

  private head(): Buffer {
    const time = this.options.timestamps ? `${new Date().toISOString().slice(11, 23)} ` : '';
    return Buffer.from(time + this.options.label);
  }

  // Counts from the first held byte: later writes do not put it off.
  private armIdleFlush(): void {
    if (this.held === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushPartial(), this.options.idleMs ?? 150);
      this.timer.unref();
    }
  }

  private flushPartial(): void {
    if (this.held > 0) this.out.write(this.partialLine());
    this.armIdleFlush();
  }

  // The held partial line, labelled and ended with the marker; no longer held.
  private partialLine(): Buffer {
    const line = Buffer.concat([this.head(), ...this.partial, Buffer.from(`${this.options.marker ?? '%'}\n`)]);
    this.partial = [];
    this.held = 0;
    return line;
  }
}
