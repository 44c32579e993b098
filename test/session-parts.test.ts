// The session's pieces that need no process: the wire format, the replay
// ring, the alternate-screen tracker, key names, detach keys, the expect
// matcher. Each is fed the awkward cases: frames and sequences split at
// every byte, rings that wrap, keys that almost match.
import { describe, expect, it } from 'vitest';
import { DetachKeys, parseDetachKeys } from '../src/cli/detach-keys.js';
import { parseByteSize } from '../src/cli/byte-size.js';
import { keyBytes } from '../src/session/keys.js';
import { Matcher } from '../src/session/matcher.js';
import { OutputHub } from '../src/session/output-hub.js';
import { FrameDecoder, ProtocolError, dataFrame, jsonFrame, type Frame } from '../src/server/protocol.js';
import { RingBuffer } from '../src/session/ring-buffer.js';
import { ScreenMode } from '../src/session/screen-mode.js';

describe('frames', () => {
  it('decode the same whether they arrive whole or one byte at a time', () => {
    const stream = Buffer.concat([jsonFrame({ op: 'ls' }), dataFrame(Buffer.from([0, 1, 2, 255])), dataFrame(Buffer.alloc(0)), jsonFrame({ event: 'end', n: 3 })]);
    const whole = new FrameDecoder().push(stream);
    const dec = new FrameDecoder();
    const bytewise: Frame[] = [];
    for (const b of stream) bytewise.push(...dec.push(Buffer.from([b])));
    expect(bytewise).toEqual(whole);
    expect(whole).toEqual([
      { type: 1, message: { op: 'ls' } },
      { type: 2, data: Buffer.from([0, 1, 2, 255]) },
      { type: 2, data: Buffer.alloc(0) },
      { type: 1, message: { event: 'end', n: 3 } },
    ]);
    expect(dec.buffered).toBe(0);
  });

  it('refuse an oversized frame from its header alone, before buffering its body', () => {
    const head = Buffer.from([0x00, 0x20, 0x00, 0x00, 0x02]); // 2 MiB of data announced
    expect(() => new FrameDecoder().push(head)).toThrow(new ProtocolError('frame of 2097151 bytes (most is 1048576)'));
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0, 1]))).toThrow(ProtocolError);
  });

  it('report a truncated frame as buffered bytes', () => {
    const dec = new FrameDecoder();
    expect(dec.push(jsonFrame({ op: 'ls' }).subarray(0, 8))).toEqual([]);
    expect(dec.buffered).toBe(8);
  });
});

describe('the replay ring', () => {
  it('keeps the last capacity bytes across wraps, with offsets in the whole output', () => {
    const ring = new RingBuffer(10);
    let all = '';
    for (const piece of ['abc', 'defgh', 'ijklmnopq', 'r', '0123456789ABCDEF', 'xy']) {
      ring.write(Buffer.from(piece));
      all += piece;
      expect(ring.since(0).toString()).toBe(all.slice(-10));
      expect(ring.end).toBe(all.length);
    }
    expect(ring.since(ring.end - 3).toString()).toBe(all.slice(-3));
    expect(ring.since(ring.end + 5).length).toBe(0);
  });

  it('replays from a whole line when the ring cut into one, and ends on the alternate screen if the console is there', () => {
    const screen = '\x1b[Hdrawn\x1b[2;1Hscreen';
    const hub = new OutputHub(screen.length + 3);
    hub.write(Buffer.from(`old line\r\n\x1b[?1049h${screen}`));
    // The switch to the alternate screen was overwritten, and the ring cut
    // into it ("49h" is held): the replay starts at the next escape and
    // re-enters the alternate screen first.
    expect(hub.replay().toString()).toBe(`\x1b[?1049h${screen}`);
    const fits = new OutputHub(64);
    fits.write(Buffer.from('first\r\nsecond\r\n'));
    expect(fits.replay().toString()).toBe('first\r\nsecond\r\n');
    const cut = new OutputHub(12);
    cut.write(Buffer.from('first\r\nsecond\r\n'));
    expect(cut.replay().toString()).toBe('second\r\n');
  });
});

describe('the screen tracker', () => {
  it('follows switches to and from the alternate screen even when split across reads', () => {
    const text = 'a\x1b[?1049hb\x1b[?1049lc\x1b[?47hd';
    const expected = [false, true, false, true];
    for (let cut = 0; cut <= text.length; cut++) {
      const mode = new ScreenMode();
      mode.scan(Buffer.from(text.slice(0, cut)));
      mode.scan(Buffer.from(text.slice(cut)));
      expect(mode.alternate, `cut at ${cut}`).toBe(true);
    }
    const mode = new ScreenMode();
    const seen: boolean[] = [];
    for (const part of ['a', '\x1b[?1049hb', '\x1b[?1049lc', '\x1b[?47hd']) {
      mode.scan(Buffer.from(part));
      seen.push(mode.alternate);
    }
    expect(seen).toEqual(expected);
  });

  it('follows a switch fed one byte at a time, after coloured output that ends on an escape', () => {
    const mode = new ScreenMode();
    for (const part of ['\x1b[31mred\x1b[0m', '\x1b[0m\r\n', 'x\x1b[', '?10', '4', '9', 'h']) mode.scan(Buffer.from(part));
    expect(mode.alternate).toBe(true);
    for (const b of Buffer.from('\x1b[?1049l')) mode.scan(Buffer.from([b]));
    expect(mode.alternate).toBe(false);
  });

  it('does not turn a chunk into text unless it holds the start of a switch (coloured output is only searched)', () => {
    const mode = new ScreenMode();
    const noText = (text: string) => {
      const chunk = Buffer.from(text);
      chunk.toString = () => {
        throw new Error('scanned as text');
      };
      return chunk;
    };
    // Colour, cursor moves and a line ending on a reset: no switch can start here.
    for (let i = 0; i < 3; i++) mode.scan(noText('\x1b[1;32m  12\x1b[0m INFO ok\x1b[2K\x1b[0m\r\n'));
    expect(mode.alternate).toBe(false);
    // A chunk that does hold one is read.
    expect(() => mode.scan(noText('\x1b[?1049h'))).toThrow('scanned as text');
  });
});

describe('keys', () => {
  it('name what a terminal sends', () => {
    expect(['C-c', '^D', 'Enter', 'Tab', 'Escape', 'Up', 'BSpace', 'F1', 'M-x', 'C-Space', 'hello'].map(keyBytes)).toEqual([
      '\x03',
      '\x04',
      '\r',
      '\t',
      '\x1b',
      '\x1b[A',
      '\x7f',
      '\x1bOP',
      '\x1bx',
      '\x00',
      'hello',
    ]);
  });

  it('detach keys in docker syntax: a partial match is passed on, never swallowed', () => {
    const keys = () => new DetachKeys(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(keys().feed(Buffer.from('ab\x10\x11cd'))).toEqual({ pass: Buffer.from('ab'), detach: true });
    expect(keys().feed(Buffer.from('\x10x'))).toEqual({ pass: Buffer.from('\x10x'), detach: false });
    // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes to the console, the rest detaches.
    expect(keys().feed(Buffer.from('\x10\x10\x11'))).toEqual({ pass: Buffer.from('\x10'), detach: true });
    // Split across reads.
    const k = keys();
    expect(k.feed(Buffer.from('\x10'))).toEqual({ pass: Buffer.alloc(0), detach: false });
    expect(k.feed(Buffer.from('\x11'))).toEqual({ pass: Buffer.alloc(0), detach: true });
    expect(parseDetachKeys('ctrl-a,d')).toEqual(Buffer.from([1, 0x64]));
    expect(new DetachKeys(parseDetachKeys('')).feed(Buffer.from('\x10\x11'))).toEqual({ pass: Buffer.from('\x10\x11'), detach: false });
    expect(() => parseDetachKeys('ctrl-1')).toThrow('--detach-keys: bad key "ctrl-1"');
    expect(() => parseDetachKeys('ab')).toThrow('--detach-keys: bad key "ab"');
  });

  it('sizes as users type them', () => {
    expect(['65536', '64k', '4M', '1MiB', '2g'].map((t) => parseByteSize(t, 'x'))).toEqual([65536, 65536, 4 << 20, 1 << 20, 2 * 1024 ** 3]);
    expect(() => parseByteSize('lots', 'replay-size')).toThrow('--replay-size: "lots" is not a size (try 256k or 4M)');
  });
});

describe('the expect matcher', () => {
  it('matches what a user sees: colours stripped, CRLF as LF, ^ at lines, characters split across reads', () => {
    const m = new Matcher(/^ready on port (\d+)\n/m);
    const out = Buffer.from('booting\r\n\x1b[32mready\x1b[0m on port 8080\r\n');
    let hit: RegExpExecArray | undefined;
    for (const b of out) hit ??= m.feed(Buffer.from([b]));
    expect(hit?.[1]).toBe('8080');
    // As in Tcl's expect, $ also matches at the end of what has arrived so
    // far: a prompt has no newline after it.
    expect(new Matcher(/\$ $/m).feed(Buffer.from('\r\nuser@host:~$ '))?.[0]).toBe('$ ');
    const euro = new Matcher(/€/);
    const bytes = Buffer.from('price €');
    expect(euro.feed(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(euro.feed(bytes.subarray(bytes.length - 1))?.[0]).toBe('€');
  });
});
