// The benchmark's data: text lines with some ANSI colour, written once to a
// temporary directory, so every reader is fed identical bytes by `cat`.
// `ptyBytes` is what a reader must get through a PTY (ONLCR: \n as \r\n),
// so each run's byte count can be checked, not assumed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeData(size, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bench-'));
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let newlines = 0;
  let i = 0;
  while (written < size) {
    const lines = [];
    for (let k = 0; k < 1000; k++, i++) {
      lines.push(i % 5 === 0
        ? `\x1b[1;3${i % 8}m${String(i).padStart(8)}\x1b[0m  INFO request handled in ${(i * 37) % 1000} ms path=/api/v1/items/${i}\n`
        : `${String(i).padStart(8)}  DEBUG cache ${i % 3 ? 'hit' : 'miss'} key=user:${(i * 7919) % 100000} size=${(i * 13) % 4096}\n`);
    }
    const chunk = Buffer.from(lines.join('')).subarray(0, size - written);
    fs.writeSync(fd, chunk);
    written += chunk.length;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) newlines++;
  }
  fs.closeSync(fd);
  return { file, dir, ptyBytes: written + newlines };
}
