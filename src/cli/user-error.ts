// A mistake the user made, with the sysexits(3) status it exits with. The
// CLI prints its message as one line, never a stack trace.
export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOINPUT = 66;
export const EX_SOFTWARE = 70;
export const EX_OSERR = 71;
export const EX_CANTCREAT = 73;
export const EX_IOERR = 74;

export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly exitCode: number = EX_USAGE,
  ) {
    super(message);
  }
}

/** "ENOENT" from a Node system error, else its message. */
export function errorCode(err: unknown): string {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
