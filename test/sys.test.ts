// The native syscall wrappers: -errno results, SCM_RIGHTS over a real
// socket pair, and argument mistakes that throw instead of crashing.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { EBADF, SysError, check } from '../src/sys-error.js';
import { openMaster, openSlave } from './helpers/pty.js';

function socketPair(): [number, number] {
  const out = new Int32Array(2);
  expect(native.socketPair(out)).toBe(0);
  return [out[0]!, out[1]!];
}

describe('syscall wrappers', () => {
  it('return -errno for a bad fd instead of throwing', () => {
    const buf = Buffer.alloc(16);
    expect(native.read(-1, buf, 0, 16)).toBe(EBADF);
    expect(native.write(9999, buf, 0, 16)).toBe(EBADF);
    expect(native.close(9999)).toBe(EBADF);
    expect(native.setNonBlocking(9999, true)).toBe(EBADF);
    expect(native.isatty(9999)).toBe(EBADF);
    expect(native.getWinSize(9999)).toBe(EBADF);
  });

  it('tells a tty from a non-tty', () => {
    const { master } = openMaster();
    const [a, b] = socketPair();
    expect(native.isatty(master)).toBe(1);
    expect(native.isatty(a)).toBe(0);
    expect(() => check(native.getWinSize(a), 'getWinSize', a)).toThrow(/getWinSize\(fd \d+\): ENOTTY/);
    for (const fd of [master, a, b]) native.close(fd);
  });

  it('sets and gets the window size', () => {
    const { master } = openMaster();
    expect(native.setWinSize(master, 132, 43)).toBe(0);
    expect(native.getWinSize(master)).toBe(43 * 65536 + 132);
    expect(native.setWinSize(master, 70000, 1)).toBeLessThan(0);
    native.close(master);
  });

  it('passes a PTY master through SCM_RIGHTS with its payload', () => {
    const [a, b] = socketPair();
    const { master, slavePath } = openMaster();
    const payload = Buffer.from('/dev/ptmx');
    expect(native.sendFds(a, payload, 0, payload.length, Int32Array.of(master))).toBe(payload.length);
    const buf = Buffer.alloc(4096);
    const out = new Int32Array(2 + 4);
    const n = native.recvFds(b, buf, 0, buf.length, out);
    expect(buf.subarray(0, n).toString()).toBe('/dev/ptmx');
    expect(out[0]).toBe(1);
    const got = out[2]!;
    expect(got).not.toBe(master);
    expect(native.isatty(got)).toBe(1);
    expect(native.ptsName(got)).toBe(slavePath);
    // The received fd is the same PTY: bytes written on the slave show up on it.
    const slave = openSlave(slavePath);
    fs.writeSync(slave, 'through');
    const r = Buffer.alloc(64);
    expect(r.subarray(0, fs.readSync(got, r)).toString()).toBe('through');
    for (const fd of [a, b, master, got, slave]) native.close(fd);
  });

  it('closes fds that do not fit, and reports a message without any', () => {
    const [a, b] = socketPair();
    const m1 = openMaster().master;
    const m2 = openMaster().master;
    const one = Buffer.from('x');
    expect(native.sendFds(a, one, 0, 1, Int32Array.of(m1, m2))).toBe(1);
    const out = new Int32Array(3); // room for one fd
    const buf = Buffer.alloc(16);
    expect(native.recvFds(b, buf, 0, 16, out)).toBe(1);
    expect(out[0]).toBe(1);
    const before = fs.readdirSync('/proc/self/fd').length;
    native.close(out[2]!);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(before - 1);
    expect(native.sendFds(a, one, 0, 1, new Int32Array(0))).toBe(1);
    expect(native.recvFds(b, buf, 0, 16, out)).toBe(1);
    expect(out[0]).toBe(0);
    for (const fd of [a, b, m1, m2]) native.close(fd);
  });

  it('throws TypeError or RangeError for argument mistakes, never crashes', () => {
    const buf = Buffer.alloc(8);
    const loose = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => loose.read!('x', buf, 0, 8)).toThrow(TypeError);
    expect(() => loose.read!(0, 'not a buffer', 0, 8)).toThrow(TypeError);
    expect(() => native.read(0, buf, 4, 8)).toThrow(RangeError);
    expect(() => native.write(0, buf, -1, 1)).toThrow(RangeError);
    expect(() => loose.socketPair!(new Int32Array(1))).toThrow(RangeError);
  });

  it('turns -errno into a SysError naming call, fd and errno', () => {
    const err = new SysError(EBADF, 'read', 42);
    expect(err.code).toBe('EBADF');
    expect(err.errno).toBe(9);
    expect(err.message).toBe('read(fd 42): EBADF, bad file descriptor');
  });
});
