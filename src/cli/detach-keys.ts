// The key sequence that detaches an attached client, in docker's syntax:
// comma-separated keys, each a character or ctrl-<a-z @ [ \ ] ^ _>. The
// bytes of a sequence that starts to match but is not completed are passed
// on to the console, never swallowed.
import { EX_USAGE, UserError } from './user-error.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The bytes of a docker-style key list; an empty list disables detaching. */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const bytes = spec.split(',').map((key) => {
    const ctl = /^ctrl-(.)$/i.exec(key);
    if (ctl) {
      const c = ctl[1]!.toLowerCase();
      if (/^[a-z@[\\\]^_]$/.test(c)) return c.toUpperCase().charCodeAt(0) - 0x40;
    } else if (key.length === 1 && key.charCodeAt(0) >= 0x20 && key.charCodeAt(0) < 0x7f) {
      return key.charCodeAt(0);
    }
    throw new UserError(`--detach-keys: bad key "${key}" (a character, or ctrl- and one of a-z @ [ \\ ] ^ _)`, EX_USAGE);
  });
  return Buffer.from(bytes);
}

export class DetachKeys {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** What of input goes to the console, and whether the sequence completed. */
  feed(input: Buffer): { pass: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { pass: input, detach: false };
    const out: number[] = [];
    for (const byte of input) {
      if (this.step(byte, out)) return { pass: Buffer.from(out), detach: true };
    }
    return { pass: Buffer.from(out), detach: false };
  }

  // On a mismatch the held prefix is not simply dropped back: its tail plus
  // this byte may itself start the sequence (ctrl-p ctrl-p ctrl-q with keys
  // ctrl-p,ctrl-q), so the first held byte is passed and the rest re-fed.
  private step(byte: number, out: number[]): boolean {
    if (byte === this.keys[this.held]) {
      this.held++;
      if (this.held < this.keys.length) return false;
      this.held = 0;
      return true;
    }
    if (this.held === 0) {
      out.push(byte);
      return false;
    }
    const replay = [...this.keys.subarray(1, this.held), byte];
    out.push(this.keys[0]!);
    this.held = 0;
    return replay.some((b) => this.step(b, out));
  }
}
