// A session that cannot be found, reached, created or trusted. The CLI
// prints its message as one line.
export class SessionError extends Error {
  override readonly name = 'SessionError';
}
