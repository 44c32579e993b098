// Follows whether a console's output has switched the terminal to the
// alternate screen (xterm's private modes 1049, 1047 and 47), without
// emulating a terminal: a replay must end on the screen the console is on,
// and a client leaving must switch its user's terminal back.
const ESC = 0x1b;
// Every switch starts so; coloured output (ESC [ digits m) never does.
const SWITCH_START = '\x1b[?';
// Long enough to hold the longest switch, "\x1b[?1049h", split across reads.
const TAIL = 7;
const SWITCH = /\x1b\[\?(?:1049|1047|47)([hl])/g;
// What a chunk may end with that the next one can complete into a switch.
const STEMS = ['\x1b[?1049', '\x1b[?1047', '\x1b[?47'];

export class ScreenMode {
  private alt = false;
  private tail = '';

  get alternate(): boolean {
    return this.alt;
  }

  /** Set from a handed-over state (an upgrade): the screen the console was on. */
  set alternate(on: boolean) {
    this.alt = on;
    this.tail = '';
  }

  scan(chunk: Buffer): void {
    if (this.tail === '' && chunk.indexOf(SWITCH_START) < 0) {
      // No switch in this chunk (the common case: a memchr-like search, no
      // text made): only its last bytes may begin one.
      this.tail = stemAtEnd(chunk);
      return;
    }
    // latin1 maps bytes to chars one to one: cheap, and the sequences are ASCII.
    const text = this.tail + chunk.toString('latin1');
    for (const m of text.matchAll(SWITCH)) this.alt = m[1] === 'h';
    this.tail = stemAtEnd(Buffer.from(text.slice(-TAIL), 'latin1'));
  }

  /** The last switch in data: true (to alternate), false (to main) or undefined. */
  static lastSwitch(data: Buffer): boolean | undefined {
    let last: boolean | undefined;
    for (const m of data.toString('latin1').matchAll(SWITCH)) last = m[1] === 'h';
    return last;
  }
}

/** The end of data from its last ESC, if that can still become a switch; else ''. */
function stemAtEnd(data: Buffer): string {
  const last = data.subarray(Math.max(0, data.length - TAIL));
  const esc = last.lastIndexOf(ESC);
  if (esc < 0) return '';
  const end = last.toString('latin1', esc);
  return STEMS.some((stem) => stem.startsWith(end)) ? end : '';
}

/** Enters the alternate screen (saving the cursor), as xterm's smcup. */
export const ENTER_ALT = '\x1b[?1049h';
/** Back to the main screen (restoring the cursor), as xterm's rmcup. */
export const LEAVE_ALT = '\x1b[?1049l';
