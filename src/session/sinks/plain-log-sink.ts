// A log with ANSI escape sequences stripped (by strip-ansi), for grep and
// less. It strips whole lines, so a sequence split across two reads is still
// recognised; the last partial line is stripped when the console ends. Like
// the recording, it decodes with a StringDecoder, so a UTF-8 character split
// across two reads is not turned into U+FFFD. A partial line is kept as the
// pieces it came in (joined once), and one longer than MAX_HELD is written
// without waiting for its newline: the work is linear and the memory bounded
// whatever the console writes.
import { StringDecoder } from 'node:string_decoder';
import stripAnsi from 'strip-ansi';
import { FileSink } from './file-sink.js';

/** The most of a partial line held back for its newline (characters). */
const MAX_HELD = 8 * 1024;
/** How far back an escape sequence cut by an early write is looked for. */
const MAX_ESCAPE = 1024;

export class PlainLogSink extends FileSink {
  private partial: string[] = [];
  private held = 0;
  private readonly decoder = new StringDecoder('utf8');

  override write(chunk: Buffer): boolean {
    const text = this.decoder.write(chunk);
    const cut = text.lastIndexOf('\n') + 1;
    if (cut === 0) return this.hold(text);
    const lines = this.take() + text.slice(0, cut);
    this.keep(text.slice(cut));
    return this.put(stripAnsi(lines));
  }

  // A run ended (another may follow): its last partial line goes out now.
  override flush(): Promise<void> {
    const rest = this.take();
    if (rest !== '') this.put(stripAnsi(rest));
    return super.flush();
  }

  override end(): Promise<void> {
    const rest = this.take() + this.decoder.end();
    if (rest !== '') this.put(stripAnsi(rest));
    return super.end();
  }

  // Keeps text of a line; past MAX_HELD the line so far is written, all
  // but an escape sequence it may end inside of.
  private hold(text: string): boolean {
    this.keep(text);
    if (this.held <= MAX_HELD) return true;
    const line = this.take();
    const esc = line.lastIndexOf('\x1b');
    const cut = esc >= 0 && line.length - esc < MAX_ESCAPE ? esc : line.length;
    this.keep(line.slice(cut));
    return this.put(stripAnsi(line.slice(0, cut)));
  }

  private keep(text: string): void {
    if (text === '') return;
    this.partial.push(text);
    this.held += text.length;
  }

  private take(): string {
    const line = this.partial.join('');
    this.partial = [];
    this.held = 0;
    return line;
  }
}
