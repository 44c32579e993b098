// A console's output onto a terminal shared with other consoles, one whole
// line at a time, each behind the console's label. A partial line is held
// until its newline, or written with a marker after a short idle time, so two
// consoles never interleave inside a line. Bytes are never decoded: the
// children's colours and UTF-8 pass through untouched.
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

export class PrefixSink implements Sink {
  readonly lossless = true;
  private partial: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable,
    private readonly options: PrefixOptions,
  ) {}

  write(chunk: Buffer): boolean {
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    const parts: Buffer[] = [];
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL)) {
      parts.push(this.head(), data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    this.partial = data;
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

  private armIdleFlush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial.length === 0) return;
    this.timer = setTimeout(() => this.flushPartial(), this.options.idleMs ?? 150);
    this.timer.unref();
  }

  private flushPartial(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.partial.length === 0) return;
    const line = Buffer.concat([this.head(), this.partial, Buffer.from(`${this.options.marker ?? '%'}\n`)]);
    this.partial = Buffer.alloc(0);
    this.out.write(line);
  }
}
