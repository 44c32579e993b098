// Bytes to a file, exactly as given. The file is opened synchronously, so a
// path that cannot be written fails at start-up, before any console runs.
// A write that fails later (a full disk, an I/O error) ends this file
// only: the failure is reported once through onError, the console and its
// other sinks go on, and nothing throws.
import fs from 'node:fs';
import { onDrainOrClose, type Sink } from './sink.js';

export class FileSink implements Sink {
  readonly lossless = true;
  private readonly stream: fs.WriteStream;
  private failure: Error | undefined;
  /** Its descriptor: kept open across an upgrade. */
  readonly fd: number;
  private readonly errorListeners: Array<(err: Error) => void> = [];

  /** fd: the file already open (handed over by an upgrade): written on where it stands. */
  constructor(readonly path: string, inherited?: number) {
    const fd = inherited ?? fs.openSync(path, 'w', 0o644);
    this.fd = fd;
    this.stream = fs.createWriteStream('', { fd, highWaterMark: 256 * 1024 });
    this.stream.on('error', (err) => {
      if (this.failure !== undefined) return;
      this.failure = err;
      for (const cb of this.errorListeners) cb(err);
    });
  }

  write(chunk: Buffer): boolean {
    return this.put(chunk);
  }

  onDrain(cb: () => void): void {
    if (this.failure !== undefined) cb();
    else onDrainOrClose(this.stream, cb);
  }

  /** Called once if writing the file fails; the sink then takes and drops everything. */
  onError(cb: (err: Error) => void): void {
    if (this.failure !== undefined) cb(this.failure);
    else this.errorListeners.push(cb);
  }

  flush(): Promise<void> {
    return this.written();
  }

  /** Settles once everything given so far is in the file (nothing held back is written). */
  written(): Promise<void> {
    if (this.failure !== undefined || this.stream.destroyed || this.stream.writableEnded) return Promise.resolve();
    // Writes complete in order: an empty one's callback runs after all before it.
    return new Promise((resolve) => this.stream.write(Buffer.alloc(0), () => resolve()));
  }

  end(): Promise<void> {
    if (this.failure !== undefined || this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.once('close', resolve);
      this.stream.end();
    });
  }

  /** Writes unless the file has failed; false when the stream wants a drain. */
  protected put(data: Buffer | string): boolean {
    return this.failure !== undefined ? true : this.stream.write(data);
  }
}
