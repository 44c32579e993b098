// `ptyplex web`'s server: HTTP(S) and WebSocket on one port, a client of one
// session's control socket (on this machine, or over ssh: -H). The page's
// files are public (they hold no data); everything else needs the cookie
// and the page key the one-time token was traded for (web-auth.ts), a Host
// naming this gateway, and for a WebSocket the page's own Origin. The
// session server never learns that a browser is watching.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ControlClient } from '../control-client.js';
import { ConsoleBridge, MAX_COLS, MAX_ROWS } from './console-bridge.js';
import { hostText, isWildcard, type ListenAddress } from './listen-address.js';
import { sendOrDrop } from './page-backlog.js';
import { RequestChecks } from './request-checks.js';
import { SessionWatch, type SessionAddress } from './session-watch.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';
import { PROTOCOL, WebAuth } from './web-auth.js';

export interface WebGatewayOptions {
  /** The session: its socket here, or a way to connect to it (ssh). */
  session: SessionAddress;
  listen: ListenAddress;
  /** Keys and window sizes from pages reach consoles. */
  write: boolean;
  tls?: { cert: Buffer; key: Buffer };
  log(line: string): void;
  /** Called once, when the token has been traded for a login (it is then worthless). */
  onLogin?: () => void;
}

/** The largest message a page may send (keys pasted at once). */
const MAX_MESSAGE = 64 * 1024;
const MAX_LOGIN_BODY = 1024;
/** How long pages are given to hear that the session ended before the gateway exits. */
const END_GRACE_MS = 1000;

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export class WebGateway {
  /** Settles with why, once the session has ended and pages were told. */
  readonly ended: Promise<string>;
  private endedWith!: (reason: string) => void;
  // The page offers ['ptyplex', 'key.<page key>']: 'ptyplex' is chosen (a
  // browser fails a socket whose server chose none of those it offered).
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false) });
  private readonly watch: SessionWatch;
  private server!: http.Server | https.Server;
  private checks!: RequestChecks;
  private auth!: WebAuth;
  private readonly files = loadStaticFiles();

  private constructor(private readonly options: WebGatewayOptions) {
    this.ended = new Promise((resolve) => (this.endedWith = resolve));
    this.watch = new SessionWatch(options.session, (reason) => setTimeout(() => this.endedWith(reason), END_GRACE_MS));
  }

  /** Checks the session answers, listens; the URL (with its token) is then `url`. */
  static async start(options: WebGatewayOptions): Promise<WebGateway> {
    const gateway = new WebGateway(options);
    await gateway.watch.start();
    try {
      await gateway.listen();
    } catch (err) {
      gateway.watch.close();
      throw err;
    }
    return gateway;
  }

  /** The URL to open: the token rides in the fragment, which browsers never send. */
  get url(): string {
    const { port, address } = this.server.address() as AddressInfo;
    const scheme = this.options.tls ? 'https' : 'http';
    // For "localhost", the address bound: the name is also the other
    // family's loopback, where another user may listen on this same port
    // and, served the URL, read the token from its fragment. (Any other
    // name stays: a TLS certificate names it.)
    const { host: named } = this.options.listen;
    const host = isWildcard(address) ? '127.0.0.1' : named === 'localhost' ? address : named;
    return `${scheme}://${hostText(host)}:${port}/#token=${this.auth.tokenText}`;
  }

  async close(): Promise<void> {
    this.watch.close();
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async listen(): Promise<void> {
    const { tls, listen } = this.options;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.request(req, res);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket: Duplex) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(listen.port, listen.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err) => this.options.log(`web: ${err.message}`));
    const { port, address } = this.server.address() as AddressInfo;
    const scheme = tls ? 'https' : 'http';
    this.checks = new RequestChecks({ host: listen.host, port }, address, scheme);
    this.auth = new WebAuth(`ptyplex_${port}`, tls !== undefined, this.options.onLogin);
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const hostProblem = this.checks.hostProblem(req);
    if (hostProblem !== undefined) return reply(res, 421, hostProblem);
    if (url.pathname === '/api/login') return this.login(req, res);
    if (url.pathname.startsWith('/api/')) {
      const proof = this.auth.proofForRequest(req);
      if (proof === undefined) return reply(res, 401, 'not logged in: open the URL ptyplex web printed');
      if (url.pathname === '/api/session' && req.method === 'GET') return this.describe(res, proof);
      return reply(res, 404, 'no such thing');
    }
    const file = this.files.get(url.pathname);
    if (file === undefined) return reply(res, 404, 'no such file');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'GET only');
    sendFile(res, file, req.method === 'HEAD');
  }

  // The page trades the token from its URL's fragment for the cookie and,
  // in the body, the page key (which only that origin's pages can read back).
  private login(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') return reply(res, 405, 'POST only');
    if (req.headers.origin !== undefined && this.checks.originProblem(req) !== undefined) return reply(res, 403, 'not from this gateway\'s page');
    let body = '';
    let tooLong = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_LOGIN_BODY) {
        tooLong = true;
        req.destroy();
      }
    });
    req.on('end', () => {
      if (tooLong) return;
      const login = this.auth.exchange(tokenOf(body));
      if (login === undefined) return reply(res, 401, 'that token is not valid (each can be used once): run ptyplex web again for a new one');
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'application/json', 'Set-Cookie': this.auth.setCookie(login.cookie) }).end(JSON.stringify({ key: login.key, proof: login.proof }));
    });
  }

  private describe(res: ServerResponse, proof: string): void {
    res.writeHead(200, { ...HEADERS, 'Content-Type': 'application/json' }).end(JSON.stringify({ write: this.options.write, proof }));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why) + 1}\r\n\r\n${why}\n`);
    };
    const hostProblem = this.checks.hostProblem(req);
    if (hostProblem !== undefined) return refuse(421, hostProblem);
    const proof = this.auth.proofForUpgrade(req);
    if (proof === undefined) return refuse(401, 'not logged in');
    const originProblem = this.checks.originProblem(req);
    if (originProblem !== undefined) return refuse(403, originProblem);
    const url = new URL(req.url ?? '/', 'http://x');
    let serve: (ws: WebSocket) => void;
    if (url.pathname === '/ws/list') serve = (ws) => this.list(ws);
    else if (url.pathname === '/ws/console') {
      const name = url.searchParams.get('name') ?? '';
      const cols = Number(url.searchParams.get('cols'));
      const rows = Number(url.searchParams.get('rows'));
      serve = (ws) => this.console(ws, name, cols, rows);
    } else return refuse(404, 'no such WebSocket');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // A page that breaks the protocol (a message past MAX_MESSAGE) loses
      // its socket, which closes; it must not take the gateway with it.
      ws.on('error', () => undefined);
      // First, before anything the page would show: this is the gateway it logged in to.
      ws.send(JSON.stringify({ type: 'hello', proof }));
      serve(ws);
    });
  }

  private list(ws: WebSocket): void {
    const cancel = this.watch.subscribe((news) => sendOrDrop(ws, JSON.stringify({ ...news, write: this.options.write })));
    ws.on('close', cancel);
    ws.on('message', () => undefined);
  }

  private console(ws: WebSocket, name: string, cols: number, rows: number): void {
    // The window a page first asks for is checked like any resize.
    const size = (v: number, max: number, dflt: number) => (Number.isInteger(v) && v >= 1 && v <= max ? v : dflt);
    const to = this.options.session;
    const connect = typeof to === 'string' ? () => ControlClient.connect(to) : to;
    void ConsoleBridge.open(ws, { connect, console: name, write: this.options.write, cols: size(cols, MAX_COLS, 80), rows: size(rows, MAX_ROWS, 24) });
  }
}

function tokenOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const token = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).token : undefined;
    return typeof token === 'string' ? token : '';
  } catch {
    return '';
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

function sendFile(res: ServerResponse, file: StaticFile, headOnly: boolean): void {
  res.writeHead(200, { ...HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
  res.end(headOnly ? undefined : file.body);
}
