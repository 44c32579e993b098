// netpoll's errors as typed Errors. Each carries a stable `code` named after
// the netpoll variable, so callers can match on it or on the class.
export class PollerError extends Error {
  override readonly name: string = 'PollerError';
  constructor(
    readonly code: 'ErrClosed' | 'ErrRegistered' | 'ErrNotRegistered' | 'ErrNotFiler',
    message: string,
  ) {
    super(message);
  }
}

/** The poller is closed; the operation was not carried out. */
export class ErrClosed extends PollerError {
  override readonly name = 'ErrClosed';
  constructor() {
    super('ErrClosed', 'poller instance is closed');
  }
}

/** The fd is already registered in this poller. */
export class ErrRegistered extends PollerError {
  override readonly name = 'ErrRegistered';
  constructor(fd: number) {
    super('ErrRegistered', `file descriptor ${fd} is already registered in poller instance`);
  }
}

/** stop/resume of a desc this poller does not hold. */
export class ErrNotRegistered extends PollerError {
  override readonly name = 'ErrNotRegistered';
  constructor(fd: number) {
    super('ErrNotRegistered', `file descriptor ${fd} was not registered before in poller instance`);
  }
}

/** The object gives no access to a file descriptor. */
export class ErrNotFiler extends PollerError {
  override readonly name = 'ErrNotFiler';
  constructor(what: string) {
    super('ErrNotFiler', `could not get file descriptor of ${what}`);
  }
}
