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

/** What a plain log holds back, handed to the next program of its server (an upgrade). */
export interface PlainLogHeld {
  /** The line so far, not yet written (it may end inside an escape sequence). */
  partial: string;
  /** The bytes of a UTF-8 character not yet complete (base64). */
  tail: string;
}

export class PlainLogSink extends FileSink {
  private partial: string[] = [];
  private held = 0;
  private readonly decoder = new StringDecoder('utf8');
  /** The bytes the decoder holds: a character cut by the last read. */
  private tail: Buffer = Buffer.alloc(0);

  /** inherited: the file and what the last program held back (an upgrade), written on from there. */
  constructor(path: string, inherited?: { fd: number; held?: PlainLogHeld | undefined }) {
    super(path, inherited?.fd);
    if (inherited?.held === undefined) return;
    this.tail = Buffer.from(inherited.held.tail, 'base64');
    this.decoder.write(this.tail);
    this.keep(inherited.held.partial);
  }

  /**
   * What is held back: at an upgrade it goes to the next program instead of
   * out to the file, so a line, an escape sequence or a character the switch
   * cuts in two comes out whole.
   */
  heldBack(): PlainLogHeld {
    return { partial: this.partial.join(''), tail: this.tail.toString('base64') };
  }

  override write(chunk: Buffer): boolean {
    this.tail = incompleteTail(Buffer.concat([this.tail, chunk.subarray(-4)]));
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

// The last bytes of data that begin a UTF-8 character it does not finish
// (what a StringDecoder keeps for the next write); copied, at most 3.
function incompleteTail(data: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const b = data[data.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? Buffer.from(data.subarray(data.length - back)) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}
