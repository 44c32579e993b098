// The most recent output of a console, for replay on attach, `tee
// --no-follow`, a client that fell behind, and expect. Fixed capacity: old
// bytes are overwritten. Positions are offsets in the console's whole output
// (bytes ever written), so a reader can ask for "everything since N".
/** The first allocation: one PTY read's worth. */
const MIN_GROWTH = 4096;

export class RingBuffer {
  // Grows as output arrives, up to capacity: an idle console (most of a
  // large session) costs a few bytes, not the whole replay size.
  private buf: Buffer = Buffer.alloc(0);
  private total = 0;

  constructor(readonly capacity: number) {}

  /** Bytes ever written: the offset the next byte will have. */
  get end(): number {
    return this.total;
  }

  /** The offset of the oldest byte still held. */
  get start(): number {
    return Math.max(0, this.total - this.capacity);
  }

  write(chunk: Buffer): void {
    const cap = this.capacity;
    if (cap === 0) {
      this.total += chunk.length;
      return;
    }
    if (this.buf.length < cap) this.reserve(Math.min(cap, this.total + chunk.length));
    // Only the last `cap` bytes of a large chunk can survive.
    const data = chunk.length > cap ? chunk.subarray(chunk.length - cap) : chunk;
    const at = (this.total + chunk.length - data.length) % cap;
    const first = Math.min(data.length, cap - at);
    data.copy(this.buf, at, 0, first);
    if (first < data.length) data.copy(this.buf, 0, first);
    this.total += chunk.length;
  }

  // Until it first fills, the ring holds its bytes at [0, total): growing
  // is a copy of those, and no write wraps before the buffer is whole.
  private reserve(needed: number): void {
    if (needed <= this.buf.length) return;
    const size = Math.min(this.capacity, Math.max(needed, this.buf.length * 2, MIN_GROWTH));
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.total);
    this.buf = grown;
  }

  /**
   * Starts a fresh ring as one that held `data` as its last bytes, with
   * `end` bytes written in all: what a server hands to its next program.
   */
  restore(data: Buffer, end: number): void {
    if (this.total !== 0) throw new Error('restore into a ring already written');
    if (end > data.length && this.capacity > 0) {
      this.buf = Buffer.alloc(this.capacity);
      this.total = end - data.length;
    } else {
      this.total = end - data.length;
    }
    this.write(data);
  }

  /** A copy of the bytes from offset `from` (clamped to what is held) to the end. */
  since(from: number): Buffer {
    const begin = Math.min(Math.max(from, this.start), this.total);
    const n = this.total - begin;
    if (n === 0) return Buffer.alloc(0);
    const at = begin % this.capacity;
    const first = Math.min(n, this.capacity - at);
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, at, at + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }
}
