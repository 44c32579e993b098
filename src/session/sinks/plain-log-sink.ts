// A log with ANSI escape sequences stripped (by strip-ansi), for grep and
// less. It strips whole lines, so a sequence split across two reads is still
// recognised; the last partial line is stripped when the console ends. Like
// the recording, it decodes with a StringDecoder, so a UTF-8 character split
// across two reads is not turned into U+FFFD.
import { StringDecoder } from 'node:string_decoder';
import stripAnsi from 'strip-ansi';
import { FileSink } from './file-sink.js';

export class PlainLogSink extends FileSink {
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');

  override write(chunk: Buffer): boolean {
    const text = this.partial + this.decoder.write(chunk);
    const cut = text.lastIndexOf('\n') + 1;
    this.partial = text.slice(cut);
    return cut === 0 ? true : this.put(stripAnsi(text.slice(0, cut)));
  }

  // A run ended (another may follow): its last partial line goes out now.
  override flush(): Promise<void> {
    if (this.partial !== '') this.put(stripAnsi(this.partial));
    this.partial = '';
    return super.flush();
  }

  override end(): Promise<void> {
    this.partial += this.decoder.end();
    if (this.partial !== '') this.put(stripAnsi(this.partial));
    this.partial = '';
    return super.end();
  }
}
