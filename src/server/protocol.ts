// The control socket's wire format. Every message is a frame: a 4-byte
// big-endian length (of what follows), a 1-byte type, the payload. Requests,
// replies and events are JSON; console output and keyboard input are raw
// bytes, never re-encoded. A frame that is oversized, of an unknown type or
// not valid JSON is a ProtocolError: the peer is told why and dropped.

export const FRAME_JSON = 0x01;
export const FRAME_DATA = 0x02;

/** Largest payload of a data frame: output is forwarded in chunks below this. */
export const MAX_DATA = 1024 * 1024;
/** Largest JSON message: requests are small; a large one is an attack or a bug. */
export const MAX_JSON = 64 * 1024;

const HEADER = 5;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export type Frame = { type: typeof FRAME_JSON; message: Record<string, unknown> } | { type: typeof FRAME_DATA; data: Buffer };

export function jsonFrame(message: object): Buffer {
  return frame(FRAME_JSON, Buffer.from(JSON.stringify(message)));
}

export function dataFrame(data: Buffer): Buffer {
  return frame(FRAME_DATA, data);
}

/** The header of a data frame of `length` payload bytes: written before the payload, which then needs no copy. */
export function dataHeader(length: number): Buffer {
  return header(FRAME_DATA, length);
}

function header(type: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32BE(length + 1, 0);
  head[4] = type;
  return head;
}

function frame(type: number, payload: Buffer): Buffer {
  return Buffer.concat([header(type, payload.length), payload]);
}

/** The largest reply a client accepts (ls of a big session, a stop report). */
export const MAX_REPLY = 16 * 1024 * 1024;

/**
 * Splits a byte stream into frames; a frame may arrive in any number of
 * pieces. The pieces are kept as they come and joined once, when the frame
 * is whole: linear work however small the pieces.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The frame being gathered, once its header is in: its type and whole size. */
  private next: { type: number; size: number } | undefined;

  /** maxJson: MAX_JSON for what clients send, MAX_REPLY for what servers answer. */
  constructor(private readonly maxJson = MAX_JSON) {}

  /** The frames completed by chunk. Throws ProtocolError on a bad frame. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.next === undefined) {
        if (this.pendingBytes < HEADER) break;
        const head = this.join(HEADER);
        const length = head.readUInt32BE(0);
        checkHeader(length, head[4]!, this.maxJson);
        this.next = { type: head[4]!, size: 4 + length };
      }
      const { type, size } = this.next;
      if (this.pendingBytes < size) break;
      const buf = this.join(size);
      frames.push(decode(type, buf.subarray(HEADER, size)));
      const rest = buf.subarray(size);
      if (rest.length > 0) this.pending[0] = rest;
      else this.pending.shift();
      this.pendingBytes -= size;
      this.next = undefined;
    }
    return frames;
  }

  /** Bytes of an incomplete frame held: non-zero at end of stream means truncated. */
  get buffered(): number {
    return this.pendingBytes;
  }

  // The pending bytes as one buffer holding at least `bytes`: only the
  // pieces needed are joined, and the join replaces them.
  private join(bytes: number): Buffer {
    let n = 0;
    let count = 0;
    while (n < bytes) n += this.pending[count++]!.length;
    if (count > 1) this.pending.splice(0, count, Buffer.concat(this.pending.slice(0, count), n));
    return this.pending[0]!;
  }
}

// Checked as soon as the header is in, so an oversized frame is refused
// before its bytes are buffered.
function checkHeader(length: number, type: number, maxJson: number): void {
  if (type !== FRAME_JSON && type !== FRAME_DATA) {
    throw new ProtocolError(`unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
  const max = type === FRAME_JSON ? maxJson : MAX_DATA;
  if (length < 1 || length - 1 > max) throw new ProtocolError(`frame of ${length - 1} bytes (most is ${max})`);
}

function decode(type: number, payload: Buffer): Frame {
  if (type === FRAME_DATA) return { type: FRAME_DATA, data: Buffer.from(payload) };
  let message: unknown;
  try {
    message = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProtocolError('a message that is not JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new ProtocolError('a message that is not a JSON object');
  }
  return { type: FRAME_JSON, message: message as Record<string, unknown> };
}
