// A console's output as the session keeps it for clients: counted, kept in
// a ring buffer for replay, watched for the alternate screen, and handed to
// every subscriber (attached clients, tee followers, expect matchers). A
// subscriber may hold the console briefly (a client catching up after a
// burst); how briefly is the subscriber's rule (see client-feed.ts).
import { RingBuffer } from './ring-buffer.js';
import { ENTER_ALT, ScreenMode } from './screen-mode.js';
import type { Sink } from './sinks/sink.js';

export interface Subscriber {
  data(chunk: Buffer): void;
}

/** What a subscriber may do to the console it follows. */
export interface Holder {
  /** Stop reading the console until release (the kernel makes the child wait). */
  hold(s: Subscriber): void;
  release(s: Subscriber): void;
}

export class OutputHub implements Sink, Holder {
  readonly lossless = true;
  readonly ring: RingBuffer;
  readonly screen = new ScreenMode();
  private readonly subscribers = new Set<Subscriber>();
  private readonly holds = new Set<Subscriber>();
  private drainWaiters: Array<() => void> = [];

  constructor(ringSize: number) {
    this.ring = new RingBuffer(ringSize);
  }

  /** Bytes the console has written so far. */
  get bytes(): number {
    return this.ring.end;
  }

  write(chunk: Buffer): boolean {
    this.ring.write(chunk);
    this.screen.scan(chunk);
    for (const s of this.subscribers) s.data(chunk);
    return this.holds.size === 0;
  }

  onDrain(cb: () => void): void {
    if (this.holds.size === 0) cb();
    else this.drainWaiters.push(cb);
  }

  hold(s: Subscriber): void {
    this.holds.add(s);
  }

  release(s: Subscriber): void {
    if (!this.holds.delete(s) || this.holds.size > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const cb of waiters) cb();
  }

  end(): Promise<void> {
    return Promise.resolve();
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => {
      this.subscribers.delete(s);
      this.release(s);
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * What a client that arrives now (or skips ahead) should be shown: the
   * held output since `from`, ending on the screen the console is on. When
   * the ring has cut into the output, the replay starts after the first
   * newline or at the first escape, whichever comes first: the tail of a
   * split escape sequence would garble the screen, and a full-screen
   * program may write no newline at all.
   */
  replay(from = 0): Buffer {
    let data = this.ring.since(from);
    if (from < this.ring.start) data = data.subarray(safeStart(data));
    if (this.screen.alternate && ScreenMode.lastSwitch(data) !== true) {
      return Buffer.concat([Buffer.from(ENTER_ALT), data]);
    }
    return data;
  }
}

const ESC = 0x1b;
const NL = 0x0a;

// Where output that was cut at an arbitrary byte can safely be shown from.
function safeStart(data: Buffer): number {
  const nl = data.indexOf(NL);
  const esc = data.indexOf(ESC);
  if (esc >= 0 && (nl < 0 || esc < nl)) return esc;
  if (nl >= 0) return nl + 1;
  // Neither: at least do not start inside a UTF-8 character.
  let i = 0;
  while (i < data.length && (data[i]! & 0xc0) === 0x80) i++;
  return i;
}
