// The watcher an attached client leaves behind (see terminal-guard.ts).
// argv: the saved termios and the raw one, in hex. fd 4: the terminal (not
// 0-2: Node puts those back as they were at its start when it exits, and at
// our start the terminal was already raw). fd 3: the client's pipe,
// which says "alt" / "main" as the console switches screens and "done" when
// the client restored the terminal itself. If the pipe closes without
// "done", the client died (SIGKILL): restore the terminal, but termios only
// if it is still the raw mode the client set, since the shell that
// launched the client may have put back its own already.
import fs from 'node:fs';
import { native } from '../native.js';
import { LEAVE_ALT } from '../session/screen-mode.js';
import { RESET_MODES, termios } from './terminal-guard.js';

const TTY = 4;
const [savedHex = '', rawHex = ''] = process.argv.slice(2);
const saved = Buffer.from(savedHex, 'hex');
const raw = Buffer.from(rawHex, 'hex');
let state = '';
let done = false;

const pipe = fs.createReadStream('', { fd: 3 });
pipe.on('data', (chunk) => {
  state += chunk.toString();
  const lines = state.split('\n');
  state = lines.pop() ?? '';
  for (const line of lines) {
    if (line === 'done') done = true;
    else if (line === 'alt') alternate = true;
    else if (line === 'main') alternate = false;
  }
});
let alternate = false;
pipe.on('close', () => {
  if (!done) restore();
  process.exit(0);
});
pipe.on('error', () => {
  if (!done) restore();
  process.exit(0);
});

function restore(): void {
  try {
    if (saved.length === native.termiosSize && termios(TTY).equals(raw)) native.tcSetAttr(TTY, saved);
  } catch {
    // No terminal any more: nothing to restore.
  }
  const text = Buffer.from((alternate ? LEAVE_ALT : '') + RESET_MODES);
  native.write(TTY, text, 0, text.length);
}
