// An OS error as a typed Error: what the native layer returns as -errno
// becomes a SysError naming the call, the fd and the errno, like Node's own
// ErrnoException ("read(fd 12): EBADF, bad file descriptor").
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';

export class SysError extends Error {
  override readonly name = 'SysError';
  /** Positive errno value, e.g. 9 for EBADF. */
  readonly errno: number;
  /** Symbolic code, e.g. "EBADF". */
  readonly code: string;
  readonly syscall: string;
  readonly fd: number | undefined;

  constructor(negErrno: number, syscall: string, fd?: number) {
    const errno = Math.abs(negErrno);
    const code = errnoName(errno);
    const what = fd === undefined ? syscall : `${syscall}(fd ${fd})`;
    super(`${what}: ${code}, ${errnoMessage(errno)}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.fd = fd;
  }
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}

function errnoMessage(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? 'unknown error';
}

/** Returns r when it is a result, throws a SysError when it is -errno. */
export function check(r: number, syscall: string, fd?: number): number {
  if (r < 0) throw new SysError(r, syscall, fd);
  return r;
}

/** errno constants the console layer decides on, as the native layer returns them. */
export const EAGAIN = -errnoValue('EAGAIN');
export const EIO = -errnoValue('EIO');
export const EBADF = -errnoValue('EBADF');
export const ENOENT = -errnoValue('ENOENT');
export const EINTR = -errnoValue('EINTR');
/** Not in libuv's error map: the kernel's numbers. */
export const ECHILD = -osConstants.errno.ECHILD;
export const ENOEXEC = -osConstants.errno.ENOEXEC;

function errnoValue(code: string): number {
  for (const [n, [name]] of getSystemErrorMap()) if (name === code) return -n;
  throw new Error(`unknown errno ${code}`);
}
