// Follows whether a console's output has switched the terminal to the
// alternate screen (xterm's private modes 1049, 1047 and 47), without
// emulating a terminal: a replay must end on the screen the console is on,
// and a client leaving must switch its user's terminal back.
const ESC = 0x1b;
// Long enough to hold the longest switch, "\x1b[?1049h", split across reads.
const TAIL = 7;
const SWITCH = /\x1b\[\?(?:1049|1047|47)([hl])/g;

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
    // latin1 maps bytes to chars one to one: cheap, and the sequences are ASCII.
    if (chunk.indexOf(ESC) < 0 && this.tail === '') return;
    const text = this.tail + chunk.toString('latin1');
    for (const m of text.matchAll(SWITCH)) this.alt = m[1] === 'h';
    const esc = text.lastIndexOf('\x1b');
    this.tail = esc >= 0 && text.length - esc <= TAIL ? text.slice(esc) : '';
  }

  /** The last switch in data: true (to alternate), false (to main) or undefined. */
  static lastSwitch(data: Buffer): boolean | undefined {
    let last: boolean | undefined;
    for (const m of data.toString('latin1').matchAll(SWITCH)) last = m[1] === 'h';
    return last;
  }
}

/** Enters the alternate screen (saving the cursor), as xterm's smcup. */
export const ENTER_ALT = '\x1b[?1049h';
/** Back to the main screen (restoring the cursor), as xterm's rmcup. */
export const LEAVE_ALT = '\x1b[?1049l';
