// The addon built from native/: its exact shape, typed once here so nothing
// above this file touches an untyped value. Every function returns a result
// or -errno (see native/sys.cc); only argument mistakes throw.
import { createRequire } from 'node:module';

export interface NativePollerHandle {
  add(fd: number, token: number, interest: number): number;
  modify(fd: number, token: number, interest: number): number;
  remove(fd: number): number;
  ref(): void;
  unref(): void;
  close(): void;
  fd(): number;
}

export interface NativePollerClass {
  new (onBatch: (count: number) => void, tokens: Uint32Array, events: Uint32Array): NativePollerHandle;
}

export interface NativeAddon {
  NativePoller: NativePollerClass;
  read(fd: number, buf: Uint8Array, off: number, len: number): number;
  write(fd: number, buf: Uint8Array, off: number, len: number): number;
  close(fd: number): number;
  setNonBlocking(fd: number, on: boolean): number;
  setCloseOnExec(fd: number): number;
  isatty(fd: number): number;
  isCharDevice(fd: number): number;
  /** rows * 65536 + cols, or -errno. */
  getWinSize(fd: number): number;
  setWinSize(fd: number, cols: number, rows: number): number;
  openPt(): number;
  ptsName(fd: number): string | number;
  socketPair(out: Int32Array): number;
  /** A stream socket connected to a unix socket path, non-blocking and close-on-exec: fd or -errno. */
  connectUnix(path: string): number;
  /** shutdown(2): how 1 the writing half, 2 both; 0 or -errno. */
  shutdown(fd: number, how: 1 | 2): number;
  sendFds(sock: number, buf: Uint8Array, off: number, len: number, fds: Int32Array): number;
  /** out[0] = fds received (from out[2]), out[1] = 1 truncated | 2 control truncated. */
  recvFds(sock: number, buf: Uint8Array, off: number, len: number, out: Int32Array): number;
  /** Become (on, the default) or stop being the reaper of orphaned descendants (Linux); 0 or -errno. */
  setChildSubreaper(on?: boolean): number;
  /** A pidfd naming that one process (Linux >= 5.3), or -errno (-ENOSYS: none here). */
  pidfdOpen(pid: number): number;
  /** Signals the process a pidfd names; -ESRCH once it was reaped. */
  pidfdSendSignal(pidfd: number, signal: number): number;
  /** Makes every fd >= from close-on-exec; 0 or -errno. */
  markCloseOnExec(from: number): number;
  /** The session id (leader's pid) of a terminal's slave side, or -errno. */
  sessionOf(fd: number): number;
  /** Non-blocking wait for one pid: 0 running, 1 + (code << 8) exited, 2 + (signal << 8) killed, or -errno. */
  reapChild(pid: number, peek?: boolean): number;
  /**
   * A child in a new PTY (Linux; -ENOSYS elsewhere): out = [pid, master fd],
   * the master close-on-exec; 0 or -errno (an exec failure included).
   */
  spawnPty(file: string, argv: string[], envp: string[], cwd: string, cols: number, rows: number, out: Int32Array): number;
  /** Asks for a socket send buffer of bytes; returns what was granted, or -errno. */
  setSendBuffer(sock: number, bytes: number): number;
  /** out = [pid, uid, gid] of a connected unix socket's peer; 0 or -errno. */
  peerCred(sock: number, out: Int32Array): number;
  /** Copies the terminal's termios into out (termiosSize bytes); size or -errno. */
  tcGetAttr(fd: number, out: Uint8Array): number;
  /** Applies a termios saved by tcGetAttr, now; 0 or -errno. */
  tcSetAttr(fd: number, saved: Uint8Array): number;
  readonly termiosSize: number;
  /** 1 while poll(2) reports POLLHUP on fd (a PTY master with no slave open), 0 if not, or -errno. */
  hungUp(fd: number): number;
  /** An exclusive flock(2) that never waits: 0, or -errno (EWOULDBLOCK while held elsewhere). */
  lockFile(fd: number): number;
  /** An anonymous in-memory file, close-on-exec (Linux); fd or -errno. */
  memfdCreate(name: string): number;
  /**
   * Replaces this process's program (execve), keeping the fds in keep open;
   * returns -errno if it could not, -EAGAIN (without trying) when a pid in
   * running has exited since the caller looked.
   */
  execKeep(file: string, argv: string[], envp: string[], keep: Int32Array, running: Int32Array): number;
}

// src/native.ts and dist/native.js both sit one level below the package root.
const require = createRequire(import.meta.url);
export const native: NativeAddon = require('../build/Release/ptyplex.node') as NativeAddon;
