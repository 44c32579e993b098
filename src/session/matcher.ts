// Watches a console's output for a regular expression, as `expect` does:
// on the text a user would see (UTF-8 decoded, escape sequences removed,
// CRLF as LF), with ^ and $ matching at each line. Only a recent window is
// kept, so a console that writes gigabytes costs bounded memory.
import { StringDecoder } from 'node:string_decoder';
import stripAnsi from 'strip-ansi';

const WINDOW = 256 * 1024;

export class Matcher {
  private readonly decoder = new StringDecoder('utf8');
  private raw = '';

  constructor(readonly pattern: RegExp) {}

  /** Feeds output; returns the match once the pattern appears. */
  feed(chunk: Buffer): RegExpExecArray | undefined {
    this.raw += this.decoder.write(chunk);
    if (this.raw.length > WINDOW) this.raw = this.raw.slice(this.raw.length - WINDOW);
    return this.pattern.exec(stripAnsi(this.raw).replace(/\r+\n/g, '\n')) ?? undefined;
  }
}
