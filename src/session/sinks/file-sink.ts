// Bytes to a file, exactly as given. The file is opened synchronously, so a
// path that cannot be written fails at start-up, before any console runs.
import fs from 'node:fs';
import type { Sink } from './sink.js';

export class FileSink implements Sink {
  readonly lossless = true;
  protected readonly stream: fs.WriteStream;

  constructor(readonly path: string) {
    const fd = fs.openSync(path, 'w', 0o644);
    this.stream = fs.createWriteStream('', { fd, highWaterMark: 256 * 1024 });
  }

  write(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  onDrain(cb: () => void): void {
    this.stream.once('drain', cb);
  }

  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}
