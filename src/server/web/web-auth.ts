// Who may read a session through the browser: whoever holds the one-time
// token `ptyplex web` printed (in the URL's fragment, which never reaches a
// log or a proxy), exchanged once for a cookie. The cookie's value is a
// second secret, held in memory only: a restarted gateway forgets it.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SECRET_BYTES = 32;

export class WebAuth {
  /** The one-time token; undefined once it has been used. */
  private token: Buffer | undefined = crypto.randomBytes(SECRET_BYTES);
  private readonly sessions: Buffer[] = [];

  /**
   * cookieName: different per port, since browsers send a host's cookies
   * to every port of it (two gateways must not overwrite each other's).
   */
  constructor(
    readonly cookieName: string,
    private readonly secure: boolean,
  ) {}

  /** The token as the URL carries it. */
  get tokenText(): string {
    if (this.token === undefined) throw new Error('the token was used');
    return this.token.toString('base64url');
  }

  /** Trades the token for a new cookie value, once; undefined for anything else. */
  exchange(offered: string): string | undefined {
    if (this.token === undefined || !sameSecret(this.token, offered)) return undefined;
    this.token = undefined;
    const session = crypto.randomBytes(SECRET_BYTES);
    this.sessions.push(session);
    return session.toString('base64url');
  }

  /** The Set-Cookie header for a cookie value: script cannot read it, other sites cannot send it. */
  setCookie(value: string): string {
    return `${this.cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/${this.secure ? '; Secure' : ''}`;
  }

  /** Whether the request carries a cookie this gateway issued. */
  allows(req: IncomingMessage): boolean {
    const offered = cookieValue(req.headers.cookie, this.cookieName);
    return offered !== undefined && this.sessions.some((s) => sameSecret(s, offered));
  }
}

// In constant time for a guess of the right length: the length of a
// base64url secret is public anyway.
function sameSecret(secret: Buffer, offered: string): boolean {
  const given = Buffer.from(offered, 'base64url');
  return given.length === secret.length && crypto.timingSafeEqual(given, secret);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
