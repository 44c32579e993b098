// Review 2 of 12.1: a symlink is trusted when root (or we) own it, but
// whoever can write the directory that holds the symlink can replace it.
// A root-owned symlink inside a directory of nobody's passes every check;
// nobody then swaps it and the runtime, connecting by the same path,
// reaches nobody's socket.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ConsoleSocketListener } from '../src/server/console-socket.js';
import { needsRoot } from './helpers/needs-root.js';

const dirs: string[] = [];
const listeners: ConsoleSocketListener[] = [];
afterEach(() => {
  for (const l of listeners.splice(0)) l.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('12.1 (review 2) refuses a path whose symlink (even root\'s) sits in a directory another user can write', async () => {
  needsRoot('a directory of nobody');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'review2-sym-'));
  dirs.push(base);
  fs.chmodSync(base, 0o755);
  fs.mkdirSync(path.join(base, 'safe'), { mode: 0o700 });
  const nob = path.join(base, 'nob');
  fs.mkdirSync(nob, { mode: 0o755 });
  fs.chownSync(nob, 65534, 65534); // nobody may rename or replace what is in it
  fs.symlinkSync(path.join(base, 'safe'), path.join(nob, 'link')); // owned by root
  const l = new ConsoleSocketListener(path.join(nob, 'link', 'c.sock'));
  listeners.push(l);
  await expect(l.listen()).rejects.toThrow(/nob/);
});
