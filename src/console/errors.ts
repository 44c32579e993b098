// Typed errors of the console layer.

/** The console was shut down: no more writes (reads end with 0 instead). */
export class ConsoleClosedError extends Error {
  override readonly name = 'ConsoleClosedError';
  readonly code = 'ERR_CONSOLE_CLOSED';
  constructor(fd: number, op: string) {
    super(`${op} on console fd ${fd}: the console is shut down`);
  }
}

/**
 * Nothing has the console's terminal open (its slave side is closed): input
 * written now would be kept by the line discipline for whoever opens the
 * terminal next, so it is refused instead.
 */
export class ConsoleHungUpError extends Error {
  override readonly name = 'ConsoleHungUpError';
  readonly code = 'ERR_CONSOLE_HUNG_UP';
  constructor(fd: number) {
    super(`write on console fd ${fd}: the console is hung up (nothing has its terminal open)`);
  }
}
