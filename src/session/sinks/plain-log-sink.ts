// A log with ANSI escape sequences stripped (by strip-ansi), for grep and
// less. It strips whole lines, so a sequence split across two reads is still
// recognised; the last partial line is stripped when the console ends.
import stripAnsi from 'strip-ansi';
import { FileSink } from './file-sink.js';

export class PlainLogSink extends FileSink {
  private partial = '';

  override write(chunk: Buffer): boolean {
    const text = this.partial + chunk.toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    this.partial = text.slice(cut);
    return cut === 0 ? true : this.stream.write(stripAnsi(text.slice(0, cut)));
  }

  override end(): Promise<void> {
    if (this.partial !== '') this.stream.write(stripAnsi(this.partial));
    this.partial = '';
    return super.end();
  }
}
