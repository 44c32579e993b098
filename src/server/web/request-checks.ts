// Which requests come from the page this gateway served. The Host header
// must name this gateway (a page on another site whose name was re-pointed
// at 127.0.0.1, DNS rebinding, sends its own name), and a WebSocket's
// Origin must be that same host: browsers send Origin on every upgrade, and
// a cross-site page cannot forge it (cross-site WebSocket hijacking).
import type { IncomingMessage } from 'node:http';
import { hostText, isWildcard, type ListenAddress } from './listen-address.js';

export class RequestChecks {
  /** undefined: any Host (listening on every interface, names unknown). */
  private readonly hosts: Set<string> | undefined;

  /** listen: as given; bound: the address the socket got (for 0, ::0, 127.1 ...). */
  constructor(
    listen: ListenAddress,
    bound: string,
    private readonly scheme: 'http' | 'https',
  ) {
    const names = [hostText(listen.host), hostText(bound), 'localhost', '127.0.0.1', '[::1]'];
    this.hosts = isWildcard(bound) ? undefined : new Set(names.map((n) => `${n}:${listen.port}`.toLowerCase()));
  }

  /** Why this request's Host is refused, or undefined. */
  hostProblem(req: IncomingMessage): string | undefined {
    const host = req.headers.host?.toLowerCase();
    if (host === undefined) return 'no Host header';
    if (this.hosts !== undefined && !this.hosts.has(host)) return `Host "${host}" is not this gateway`;
    return undefined;
  }

  /** Why this request's Origin is not the page's own, or undefined. */
  originProblem(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return 'no Origin header';
    if (origin.toLowerCase() !== `${this.scheme}://${req.headers.host?.toLowerCase()}`) return `Origin "${origin}" is not this gateway`;
    return undefined;
  }
}
