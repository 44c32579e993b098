// Typed errors of the console layer.

/** The console was shut down: no more writes (reads end with 0 instead). */
export class ConsoleClosedError extends Error {
  override readonly name = 'ConsoleClosedError';
  readonly code = 'ERR_CONSOLE_CLOSED';
  constructor(fd: number, op: string) {
    super(`${op} on console fd ${fd}: the console is shut down`);
  }
}
