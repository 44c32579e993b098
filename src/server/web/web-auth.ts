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
//
// The page also checks the gateway: once this gateway has gone, another
// user may listen on its port, and a page that reconnected would show what
// that server sends and send it the keys typed. So a login has a third
// secret, its proof, which the page keeps and never sends: the gateway says
// it first on every WebSocket and in every /api/ answer, and a page that
// does not hear it shows and sends nothing more.
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
  /** Given to the page at login; what the gateway proves itself with. */
  proof: string;
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

  /** Trades the token for a new cookie value, page key and proof, once; undefined for anything else. */
  exchange(offered: string): { cookie: string; key: string; proof: string } | undefined {
    if (this.token === undefined || !sameSecret(this.token, offered)) return undefined;
    this.token = undefined;
    const login = { cookie: crypto.randomBytes(SECRET_BYTES), key: crypto.randomBytes(SECRET_BYTES), proof: crypto.randomBytes(SECRET_BYTES).toString('base64url') };
    this.logins.push(login);
    this.onUsed();
    return { cookie: login.cookie.toString('base64url'), key: login.key.toString('base64url'), proof: login.proof };
  }

  /** The Set-Cookie header for a cookie value: script cannot read it, other sites cannot send it. */
  setCookie(value: string): string {
    return `${this.cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/${this.secure ? '; Secure' : ''}`;
  }

  /** The proof of the login whose cookie and page key (in its header) an /api/ request carries; undefined: none. */
  proofForRequest(req: IncomingMessage): string | undefined {
    const key = req.headers[KEY_HEADER];
    return this.proofFor(req, typeof key === 'string' ? key : undefined);
  }

  /** The proof of the login whose cookie and page key (a subprotocol) a WebSocket upgrade carries; undefined: none. */
  proofForUpgrade(req: IncomingMessage): string | undefined {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const key = offered.find((p) => p.startsWith(KEY_PROTOCOL))?.slice(KEY_PROTOCOL.length);
    return this.proofFor(req, key);
  }

  // Every login is compared in full, cookie and key both, whatever matches:
  // how long it takes says nothing of which part was right.
  private proofFor(req: IncomingMessage, key: string | undefined): string | undefined {
    const cookies = cookieValues(req.headers.cookie, this.cookieName);
    if (cookies.length === 0 || key === undefined) return undefined;
    let found: Login | undefined;
    for (const login of this.logins) {
      for (const cookie of cookies) {
        const both = Number(sameSecret(login.cookie, cookie)) & Number(sameSecret(login.key, key));
        if (both === 1) found = login;
      }
    }
    return found?.proof;
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
