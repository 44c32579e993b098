// An asciicast v2 recording (what `asciinema play` and `asciinema cat`
// read): a JSON header line, then one [seconds, "o", text] event per chunk
// and [seconds, "r", "COLSxROWS"] per resize. Text must be valid UTF-8 in
// JSON, so a multi-byte character split across reads is carried over.
import { StringDecoder } from 'node:string_decoder';
import { FileSink } from './file-sink.js';

export interface CastHeader {
  cols: number;
  rows: number;
  command: string;
  title: string;
}

export class CastSink extends FileSink {
  private readonly decoder = new StringDecoder('utf8');
  private readonly start: number;

  /** resumed: the fd and the seconds already recorded (an upgrade): no second header. */
  constructor(path: string, header: CastHeader, resumed?: { fd: number; elapsed: number }) {
    super(path, resumed?.fd);
    this.start = performance.now() - (resumed?.elapsed ?? 0) * 1000;
    if (resumed !== undefined) return;
    this.put(`${JSON.stringify({
      version: 2,
      width: header.cols,
      height: header.rows,
      timestamp: Math.floor(Date.now() / 1000),
      command: header.command,
      title: header.title,
      env: { TERM: process.env.TERM ?? 'xterm-256color', SHELL: process.env.SHELL ?? '/bin/sh' },
    })}\n`);
  }

  override write(chunk: Buffer): boolean {
    const text = this.decoder.write(chunk);
    return text === '' ? true : this.event('o', text);
  }

  /** Seconds since the recording began: its clock, carried over an upgrade. */
  get elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  override end(): Promise<void> {
    const rest = this.decoder.end();
    if (rest !== '') this.event('o', rest);
    return super.end();
  }

  private event(kind: 'o' | 'r', data: string): boolean {
    const t = Math.round(performance.now() - this.start) / 1000;
    return this.put(`${JSON.stringify([t, kind, data])}\n`);
  }
}
