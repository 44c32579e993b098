// `ptyplex web`: one session's consoles in a browser. Prints the URL to
// open (with a one-time token) as its first line, then serves until the
// session ends or it is interrupted. Loopback only unless TLS is given or
// --insecure says otherwise; read-only unless --write. The session may be
// on another machine (-H ssh://...): the gateway still serves on this one.
// --open starts a browser on it through a private file (web-open.ts).
import fs from 'node:fs';
import { ListenAddressError, isLoopback, parseListen, type ListenAddress } from '../server/web/listen-address.js';
import { WebGateway } from '../server/web/web-gateway.js';
import { sessionEndpoint } from './endpoint.js';
import { OpenFile, startBrowser } from './web-open.js';
import type { HostArgs } from './hosts.js';
import { EX_NOINPUT, EX_USAGE, UserError, errorCode } from './user-error.js';

export interface WebArgs extends HostArgs {
  listen: string;
  write: boolean;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  insecure: boolean;
  open: boolean;
}

export async function webCommand(args: WebArgs): Promise<number> {
  const listen = listenAddress(args);
  const tls = readTls(args);
  if (!isLoopback(listen.host)) {
    if (tls === undefined && !args.insecure) {
      throw new UserError(`listening on ${listen.host} lets other machines reach it: give --tls-cert and --tls-key (or --insecure to send it all in the clear)`, EX_USAGE);
    }
    process.stderr.write(`ptyplex: web: listening on ${listen.host}, reachable from other machines${tls ? '' : ', WITHOUT TLS (--insecure): anyone on the path can read the session'}\n`);
  }
  const endpoint = await sessionEndpoint(args);
  // A local session's socket is watched (and its upgrade mark read); a remote one is asked.
  const session = endpoint.socket ?? (() => endpoint.connect());
  // The --open file holds the token: it goes once the token is used (which may be before it is all written).
  let openFile: OpenFile | undefined;
  let used = false;
  const onLogin = () => {
    used = true;
    openFile?.remove();
  };
  const gateway = await startGateway({ session, listen, write: args.write, ...(tls && { tls }), log: (line) => process.stderr.write(`ptyplex: ${line}\n`), onLogin }, listen);
  const url = gateway.url;
  try {
    process.stdout.write(`${url}\n`);
    process.stderr.write(`ptyplex: web: ${args.write ? 'pages can type into consoles (--write)' : 'read-only (--write lets pages type)'}; the token works once; Ctrl-C stops\n`);
    if (args.open) openFile = await openBrowser(url);
    if (used) openFile?.remove();
    const interrupted = new Promise<string>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(''));
    });
    const why = await Promise.race([gateway.ended, interrupted]);
    if (why !== '') process.stderr.write(`ptyplex: web: ${why}\n`);
  } finally {
    // The --open file, if still there, goes on exit (OpenFile), however the process ends short of SIGKILL.
    await gateway.close();
  }
  return 0;
}

// The browser gets file://... of a private file that redirects to url.
// Whatever fails here is one line: the gateway serves on, and the URL
// printed above still works.
async function openBrowser(url: string): Promise<OpenFile | undefined> {
  const say = (line: string) => process.stderr.write(`ptyplex: web: ${line}\n`);
  let file: OpenFile;
  try {
    file = OpenFile.write(url);
  } catch (err) {
    say(`cannot open a browser: cannot write its file (${err instanceof Error ? err.message : String(err)}); open the URL above`);
    return undefined;
  }
  const opener = await startBrowser(file.url, process.env, (why) => say(`the browser did not open (${why}); open the URL above`));
  if (opener === undefined) {
    file.remove();
    say('cannot open a browser: no $BROWSER command and no xdg-open found; open the URL above');
    return undefined;
  }
  return file;
}

function listenAddress(args: WebArgs): ListenAddress {
  try {
    return parseListen(args.listen);
  } catch (err) {
    if (err instanceof ListenAddressError) throw new UserError(err.message, EX_USAGE);
    throw err;
  }
}

function readTls(args: WebArgs): { cert: Buffer; key: Buffer } | undefined {
  if (args.tlsCert === undefined && args.tlsKey === undefined) return undefined;
  if (args.tlsCert === undefined || args.tlsKey === undefined) throw new UserError('give both --tls-cert and --tls-key', EX_USAGE);
  const read = (file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new UserError(`cannot read ${file}: ${errorCode(err)}`, EX_NOINPUT);
    }
  };
  return { cert: read(args.tlsCert), key: read(args.tlsKey) };
}

async function startGateway(options: Parameters<typeof WebGateway.start>[0], listen: ListenAddress): Promise<WebGateway> {
  try {
    return await WebGateway.start(options);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EADDRINUSE') throw new UserError(`${listen.host}:${listen.port} is in use (pick another with --listen; port 0 picks a free one)`, EX_USAGE);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new UserError(`cannot listen on ${listen.host}:${listen.port}: ${code}`, EX_USAGE);
    if (err instanceof Error && /PEM|key|cert/i.test(err.message) && !(err instanceof UserError)) throw new UserError(`bad --tls-cert/--tls-key: ${err.message}`, EX_USAGE);
    throw err;
  }
}
