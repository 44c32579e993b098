// netpoll semantics of the Poller, on real fds (socket pairs, PTY masters).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import {
  Desc, ErrClosed, ErrNotFiler, ErrNotRegistered, ErrRegistered, Event, Poller,
} from '../src/poller/index.js';
import { sleep } from './helpers/pty.js';

const open: number[] = [];
function pair(): [number, number] {
  const out = new Int32Array(2);
  expect(native.socketPair(out)).toBe(0);
  for (const fd of out) native.setNonBlocking(fd, true);
  open.push(out[0]!, out[1]!);
  return [out[0]!, out[1]!];
}
function send(fd: number, text: string): void {
  const b = Buffer.from(text);
  expect(native.write(fd, b, 0, b.length)).toBe(b.length);
}
afterEach(() => {
  for (const fd of open.splice(0)) native.close(fd);
});

describe('Event', () => {
  it('has netpoll values', () => {
    expect([Event.Read, Event.Write, Event.OneShot, Event.EdgeTriggered, Event.Hup,
      Event.ReadHup, Event.WriteHup, Event.Err, Event.PollerClosed])
      .toEqual([0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x8000]);
  });
  it('prints as names', () => {
    expect(Event.toString(Event.Read | Event.Hup)).toBe('Read|Hup');
    expect(Event.toString(Event.PollerClosed)).toBe('PollerClosed');
    expect(Event.toString(0)).toBe('0');
    expect(Event.toString(0x100 | Event.Write)).toBe('Write|0x100');
  });
});

describe('Poller', () => {
  it('delivers a read edge once, then again only for new data', async () => {
    const p = new Poller();
    const [a, b] = pair();
    const seen: number[] = [];
    p.start(Desc.handleRead(a), (ev) => seen.push(ev));
    send(b, 'x');
    await sleep(50);
    expect(seen.length).toBe(1);
    expect(seen[0]! & Event.Read).toBeTruthy();
    await sleep(50); // undrained, but edge-triggered: no repeat
    expect(seen.length).toBe(1);
    send(b, 'y');
    await sleep(50);
    expect(seen.length).toBe(2);
    p.close();
  });

  it('start twice on one fd gives ErrRegistered', () => {
    const p = new Poller();
    const [a] = pair();
    p.start(Desc.handleRead(a), () => undefined);
    expect(() => p.start(Desc.handleRead(a), () => undefined)).toThrow(ErrRegistered);
    p.close();
  });

  it('stop and resume of an unknown desc give ErrNotRegistered', () => {
    const p = new Poller();
    const [a] = pair();
    const d = Desc.handleRead(a);
    expect(() => p.stop(d)).toThrow(ErrNotRegistered);
    expect(() => p.resume(d)).toThrow(ErrNotRegistered);
    p.start(d, () => undefined);
    // A different Desc for the same fd is not the registered one.
    expect(() => p.stop(Desc.handleRead(a))).toThrow(ErrNotRegistered);
    p.stop(d);
    expect(() => p.stop(d)).toThrow(ErrNotRegistered);
    p.close();
  });

  it('anything after close() gives ErrClosed', () => {
    const p = new Poller();
    const [a] = pair();
    const d = Desc.handleRead(a);
    p.start(d, () => undefined);
    p.close();
    expect(() => p.start(Desc.handleRead(a), () => undefined)).toThrow(ErrClosed);
    expect(() => p.stop(d)).toThrow(ErrClosed);
    expect(() => p.resume(d)).toThrow(ErrClosed);
    p.close(); // a second close is a no-op
  });

  it('one-shot stays quiet after firing until resume', async () => {
    const p = new Poller();
    const [a, b] = pair();
    const d = Desc.handleReadOnce(a);
    let calls = 0;
    p.start(d, () => calls++);
    send(b, '1');
    await sleep(50);
    expect(calls).toBe(1);
    send(b, '2');
    await sleep(50);
    expect(calls).toBe(1);
    p.resume(d); // level-triggered one-shot: unread data fires at once
    await sleep(50);
    expect(calls).toBe(2);
    p.close();
  });

  it('close() hands every callback PollerClosed exactly once', () => {
    const p = new Poller();
    const got = new Map<number, number[]>();
    for (let i = 0; i < 20; i++) {
      const [a] = pair();
      got.set(a, []);
      p.start(Desc.handleReadWrite(a), (ev) => got.get(a)!.push(ev));
    }
    p.close();
    p.close();
    for (const evs of got.values()) expect(evs).toEqual([Event.PollerClosed]);
  });

  it('close() inside a callback stops the batch and is delivered once', async () => {
    const p = new Poller();
    const calls: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      const [a, b] = pair();
      p.start(Desc.handleRead(a), (ev) => {
        calls.push([a, ev]);
        if (!(ev & Event.PollerClosed)) p.close();
      });
      send(b, 'x');
    }
    await sleep(100);
    const readCalls = calls.filter(([, ev]) => ev & Event.Read);
    const closedCalls = calls.filter(([, ev]) => ev === Event.PollerClosed);
    expect(readCalls.length).toBe(1);
    expect(closedCalls.length).toBe(10);
    expect(new Set(closedCalls.map(([fd]) => fd)).size).toBe(10);
  });

  it('stop and start inside a callback are safe', async () => {
    const p = new Poller();
    const [a, b] = pair();
    const [c, d] = pair();
    const da = Desc.handleRead(a);
    const seen: string[] = [];
    p.start(da, () => {
      seen.push('a');
      p.stop(da);
      p.start(Desc.handleRead(c), () => seen.push('c'));
    });
    send(b, 'x');
    await sleep(50);
    send(d, 'y');
    send(b, 'z');
    await sleep(50);
    expect(seen).toEqual(['a', 'c']);
    p.close();
  });

  it('an event for a stopped fd never reaches the fd number\'s next owner', async () => {
    const p = new Poller();
    const [a, aPeer] = pair();
    const [x, xPeer] = pair();
    const old: number[] = [];
    const fresh: number[] = [];
    const da = Desc.handleRead(a);
    p.start(da, (ev) => old.push(ev));
    let reused = -1;
    p.start(Desc.handleRead(x), () => {
      if (reused >= 0) return;
      // Inside the batch that also holds a's event: stop a, free its number
      // and register a new, idle socket under the same number.
      p.stop(da);
      native.close(a);
      open.splice(open.indexOf(a), 1);
      const [n] = pair();
      reused = n;
      p.start(Desc.handleRead(n), (ev) => fresh.push(ev));
    });
    // epoll's ready list is in readiness order: x's event comes first, so
    // a's event is still in the batch when x's callback swaps the fd.
    send(xPeer, 'x');
    send(aPeer, 'old');
    await sleep(100);
    expect(reused).toBe(a);
    expect(old).toEqual([]);
    expect(fresh).toEqual([]);
    p.close();
  });

  it('hands many ready fds up in few batches', async () => {
    const p = new Poller();
    let events = 0;
    for (let i = 0; i < 600; i++) {
      const [a, b] = pair();
      p.start(Desc.handleRead(a), () => events++);
      send(b, 'x');
    }
    await sleep(200);
    expect(events).toBe(600);
    // 256 events per native harvest: three harvests, whatever libuv does.
    expect(p.stats.batches).toBeLessThanOrEqual(6);
    p.close();
  });

  it('makes a Desc from a net.Socket, and refuses what has no fd', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const d = Desc.handleRead(sock);
    expect(d.fd).toBeGreaterThan(2);
    expect(() => Desc.handleRead({})).toThrow(ErrNotFiler);
    expect(() => Desc.handleRead(-1)).toThrow(ErrNotFiler);
    expect(() => new Desc(3, Event.Hup)).toThrow(RangeError);
    sock.destroy();
    server.close();
  });
});
