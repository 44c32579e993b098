// Sinks fed one byte at a time, to real files: a UTF-8 character or an
// escape sequence split across reads must come out whole.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CastSink, PlainLogSink } from '../src/session/sinks/index.js';

const bytes = Buffer.from('caf\u00e9 \x1b[31m\u2713 ok\x1b[0m\r\nend');
const file = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-sink-')), name);

describe('sinks fed byte by byte', () => {
  it('the plain log strips escapes and keeps split UTF-8 characters', async () => {
    const f = file('x.plain.log');
    const sink = new PlainLogSink(f);
    for (let i = 0; i < bytes.length; i++) sink.write(bytes.subarray(i, i + 1));
    await sink.end();
    expect(fs.readFileSync(f, 'utf8')).toBe('caf\u00e9 \u2713 ok\r\nend');
  });

  it('the recording keeps split UTF-8 characters', async () => {
    const f = file('x.cast');
    const sink = new CastSink(f, { cols: 80, rows: 24, command: 'x', title: 'x' });
    for (let i = 0; i < bytes.length; i++) sink.write(bytes.subarray(i, i + 1));
    await sink.end();
    const events = fs.readFileSync(f, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    expect(events.map((e) => e[2]).join('')).toBe(bytes.toString('utf8'));
    expect(events.every((e) => e[1] === 'o' && !e[2].includes('\ufffd'))).toBe(true);
  });
});
