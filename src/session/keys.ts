// Key names as tmux's send-keys spells them (C-c, Enter, Up, F1, M-x ...)
// and the bytes a terminal sends for each, so scripts can type what a user
// would. Cursor keys are in normal (not application) mode, as a shell sees.
const NAMED: Record<string, string> = {
  enter: '\r',
  tab: '\t',
  btab: '\x1b[Z',
  escape: '\x1b',
  esc: '\x1b',
  space: ' ',
  bspace: '\x7f',
  backspace: '\x7f',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  home: '\x1b[H',
  end: '\x1b[F',
  pageup: '\x1b[5~',
  ppage: '\x1b[5~',
  pagedown: '\x1b[6~',
  npage: '\x1b[6~',
  insert: '\x1b[2~',
  ic: '\x1b[2~',
  delete: '\x1b[3~',
  dc: '\x1b[3~',
  f1: '\x1bOP',
  f2: '\x1bOQ',
  f3: '\x1bOR',
  f4: '\x1bOS',
  f5: '\x1b[15~',
  f6: '\x1b[17~',
  f7: '\x1b[18~',
  f8: '\x1b[19~',
  f9: '\x1b[20~',
  f10: '\x1b[21~',
  f11: '\x1b[23~',
  f12: '\x1b[24~',
};

/** The control character for C-x / ^x, or undefined if x has none. */
function control(ch: string): string | undefined {
  if (ch === ' ' || ch === '@' || ch === '2') return '\x00';
  if (ch === '?') return '\x7f';
  const code = ch.toUpperCase().charCodeAt(0);
  if (ch.length === 1 && code >= 0x40 && code <= 0x5f) return String.fromCharCode(code - 0x40);
  return undefined;
}

/**
 * The bytes for one word of `send --keys`: a key name, C-x / ^x, M-x (Escape
 * then x), or, if it is none of these, the word itself as text.
 */
export function keyBytes(word: string): string {
  const named = NAMED[word.toLowerCase()];
  if (named !== undefined) return named;
  const ctl = /^(?:C-|\^)(.|Space)$/i.exec(word);
  if (ctl) {
    const c = control(ctl[1]!.toLowerCase() === 'space' ? ' ' : ctl[1]!);
    if (c !== undefined) return c;
  }
  const meta = /^M-(.+)$/.exec(word);
  if (meta && (meta[1]!.length === 1 || NAMED[meta[1]!.toLowerCase()] !== undefined || /^(?:C-|\^)/i.test(meta[1]!))) {
    return `\x1b${keyBytes(meta[1]!)}`;
  }
  return word;
}
