// Who may read a session through the browser: whoever holds the one-time
// token `ptyplex web` printed (in the URL's fragment, which never reaches a
// log or a proxy), exchanged once for two secrets held in memory only (a
// restarted gateway forgets them): a cookie, and a page key.
//
// The cookie alone is not enough. Browsers send a host's cookies to every
// port of it, so a server on another port of 127.0.0.1 (another user's, on
// a shared machine) that the browser visits receives ours and could replay
// it. The page key is given in the login's JSON body; the page keeps it in
// localStorage, which is per origin (scheme, host AND port), so no other
// port's page can read it; the page sends it with every request (a header,
// or a WebSocket subprotocol "key.<key>"). Both must match one login.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SECRET_BYTES = 32;
/** The header an /api/ request carries the page key in. */
export const KEY_HEADER = 'x-ptyplex-key';
/** The WebSocket subprotocol the gateway selects; the key rides as another one, "key.<key>". */
export const PROTOCOL = 'ptyplex';
const KEY_PROTOCOL = 'key.';

interface Login {
  cookie: Buffer;
  key: Buffer;
}

export class WebAuth {
  /** The one-time token; undefined once it has been used. */
  private token: Buffer | undefined = crypto.randomBytes(SECRET_BYTES);
  private readonly logins: Login[] = [];

  /**
   * cookieName: different per port, since browsers send a host's cookies
   * to every port of it (two gateways must not overwrite each other's).
   * onUsed: called once, when the token has been traded.
   */
  constructor(
    readonly cookieName: string,
    private readonly secure: boolean,
    private readonly onUsed: () => void = () => undefined,
  ) {}

  /** The token as the URL carries it. */
  get tokenText(): string {
    if (this.token === undefined) throw new Error('the token was used');
    return this.token.toString('base64url');
  }

  /** Trades the token for a new cookie value and page key, once; undefined for anything else. */
  exchange(offered: string): { cookie: string; key: string } | undefined {
    if (this.token === undefined || !sameSecret(this.token, offered)) return undefined;
    this.token = undefined;
    const login = { cookie: crypto.randomBytes(SECRET_BYTES), key: crypto.randomBytes(SECRET_BYTES) };
    this.logins.push(login);
    this.onUsed();
    return { cookie: login.cookie.toString('base64url'), key: login.key.toString('base64url') };
  }

  /** The Set-Cookie header for a cookie value: script cannot read it, other sites cannot send it. */
  setCookie(value: string): string {
    return `${this.cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/${this.secure ? '; Secure' : ''}`;
  }

  /** Whether an /api/ request carries a cookie and, in its header, the page key of one login. */
  allowsRequest(req: IncomingMessage): boolean {
    const key = req.headers[KEY_HEADER];
    return this.allows(req, typeof key === 'string' ? key : undefined);
  }

  /** Whether a WebSocket upgrade carries a cookie and, among its subprotocols, the page key of one login. */
  allowsUpgrade(req: IncomingMessage): boolean {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const key = offered.find((p) => p.startsWith(KEY_PROTOCOL))?.slice(KEY_PROTOCOL.length);
    return this.allows(req, key);
  }

  // Every login is compared in full, cookie and key both, whatever matches:
  // how long it takes says nothing of which part was right.
  private allows(req: IncomingMessage, key: string | undefined): boolean {
    const cookies = cookieValues(req.headers.cookie, this.cookieName);
    if (cookies.length === 0 || key === undefined) return false;
    let ok = false;
    for (const login of this.logins) {
      for (const cookie of cookies) {
        const both = Number(sameSecret(login.cookie, cookie)) & Number(sameSecret(login.key, key));
        ok = ok || both === 1;
      }
    }
    return ok;
  }
}

// In constant time for a guess of the right length: the length of a
// base64url secret is public anyway.
function sameSecret(secret: Buffer, offered: string): boolean {
  const given = Buffer.from(offered, 'base64url');
  return given.length === secret.length && crypto.timingSafeEqual(given, secret);
}

// Every value the name has: a server on another port of this host may set
// a cookie of the same name with a longer Path (cookies know no ports),
// which the browser then sends first; ours must still count. (No cap
// needed: Node takes 16 KiB of headers at most.)
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}
