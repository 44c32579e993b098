// `ptyplex tee NAME...`: follow consoles' output like `tail -f`, from the
// recent output the session still holds; several consoles are line-prefixed
// with their names. --no-follow prints what is held and exits. With -H,
// HOST:NAME follows NAME on that host and a bare NAME follows it on every
// host given, labelled HOST:NAME when there are several hosts; a host that
// fails is one line on stderr while the others are followed, and the status
// is then 1.
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { ConsoleFollower } from '../server/console-follower.js';
import { SessionError } from '../server/session-error.js';
import { PrefixSink } from '../session/sinks/prefix-sink.js';
import { consoleOn, localConsole, type Endpoint } from './endpoint.js';
import { hostsOf, splitHostConsole, type HostArgs } from './hosts.js';
import { DirectStdout } from './direct-stdout.js';
import { EX_CANTCREAT, EX_IOERR, UserError, errorCode } from './user-error.js';

export interface TeeArgs extends HostArgs {
  names: string[];
  output?: string | undefined;
  follow: boolean;
  color?: boolean | undefined;
}

interface Followed {
  /** What the output is labelled with. */
  label: string;
  console: string;
  endpoint: Endpoint;
}

export async function teeCommand(args: TeeArgs): Promise<number> {
  const out = openOutput(args.output, args.follow);
  // A write that fails ends the following: a reader that has gone (| head)
  // quietly, anything else (a full disk) as one line and EX_IOERR, never
  // output lost while the status says all is well.
  let writeError: NodeJS.ErrnoException | undefined;
  let stop = (): void => undefined;
  out.on('error', (err: NodeJS.ErrnoException) => {
    writeError ??= err;
    stop();
  });
  const hosts = hostsOf(args);
  const remote = hosts.length > 0;
  let failed = false;
  // A host that fails is said and skipped; here, a console in no session
  // fails before anything is printed.
  const fail = (err: unknown): undefined => {
    if (!remote || !(err instanceof SessionError || err instanceof UserError)) throw err;
    process.stderr.write(`ptyplex: ${err.message}\n`);
    failed = true;
    return undefined;
  };
  const targets = remote ? remoteTargets(args, hosts.length) : await Promise.all(args.names.map(async (name) => ({ label: name, console: name, endpoint: await localConsole(name, args) })));
  const width = Math.max(...targets.map((t) => t.label.length));
  const color = targets.length > 1 ? await labelColors(args.output === undefined ? args.color : false) : undefined;
  let stopping = false;
  // Connect to every session first: a console in no session fails before
  // anything is printed (with -L/-S the server says so, on the first reply).
  const followed = targets.map((t, i) => {
    const sink = color !== undefined ? new PrefixSink(out, { label: color(i)(`${t.label.padEnd(width)} | `) }) : undefined;
    let finished = false;
    let lost: string | undefined;
    const listen = (client: ConsoleFollower) => {
      client.on('data', (data) => (sink ? sink.write(data) : out.write(data)));
      client.on('message', (msg) => {
        if (msg.event === 'skipped') process.stderr.write(`ptyplex: ${t.label}: fell behind, skipped ${String(msg.bytes)} bytes\n`);
        if (msg.event === 'end' || msg.event === 'eof') finished = true;
      });
      return new Promise<boolean>((resolve) =>
        client.once('close', (how) => {
          lost = how.lost;
          resolve(finished || stopping);
        }),
      ).then(async (ok) => {
        await sink?.end();
        if (!ok) process.stderr.write(`ptyplex: ${t.label}: ${lost ?? 'the session server hung up before the console ended'}\n`);
        return ok;
      });
    };
    let done!: Promise<boolean>;
    const client = ConsoleFollower.open(() => t.endpoint.connect(), { op: 'tee', console: t.console, follow: args.follow }, (f) => {
      done = listen(f);
    }).catch(fail);
    // A failed open is reported once, by awaiting client below: done must not reject too (an unhandled rejection's dump).
    return { client, done: client.then((c) => (c === undefined ? false : done), () => false) };
  });
  const opened = await Promise.all(followed.map((f) => f.client));
  const clients = opened.filter((c): c is ConsoleFollower => c !== undefined);
  stop = () => {
    stopping = true;
    clients.forEach((c) => c.close());
    // A host gone quiet (a dead link) must not keep a Ctrl-C waiting.
    if (remote) setTimeout(() => clients.forEach((c) => c.destroy()), 1000).unref();
  };
  if (writeError !== undefined) stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const complete = await Promise.all(followed.map((f) => f.done));
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  // process.stdout is never ended; our own writers are, once all is written.
  const following = args.output === undefined && args.follow;
  await new Promise<void>((resolve) => (following || writeError !== undefined ? resolve() : out.end(resolve)));
  if (writeError !== undefined && writeError.code !== 'EPIPE') {
    throw new UserError(`cannot write ${args.output ?? 'to standard output'}: ${errorCode(writeError)}`, EX_IOERR);
  }
  return complete.every(Boolean) && !failed && clients.length > 0 ? 0 : 1;
}

// HOST:NAME on that host; a bare NAME on every host. Labelled HOST:NAME
// when there are several hosts, as the user would name it back.
function remoteTargets(args: TeeArgs, count: number): Followed[] {
  const hosts = hostsOf(args);
  return args.names.flatMap((name) => {
    const { host, console } = splitHostConsole(name, hosts);
    return (host !== undefined ? [host] : hosts).map((h) => ({
      label: count > 1 ? `${h.label}:${console}` : console,
      console,
      endpoint: consoleOn(h, console, args),
    }));
  });
}

// The i-th console's label colour. Loaded only for several consoles:
// chalk reads the terminal's abilities through node:tty, which loads net.
async function labelColors(flag: boolean | undefined): Promise<(i: number) => (s: string) => string> {
  const { consoleColor, makeChalk } = await import('./color.js');
  const chalk = makeChalk(flag);
  return (i) => consoleColor(chalk, i);
}

// Standard output, while following, is Node's stream: a blocking write(2)
// to a reader that stalls would keep a Ctrl-C from being heard. What is
// held is bounded, and written directly (direct-stdout.ts).
function openOutput(file: string | undefined, follow: boolean): Writable {
  if (file === undefined) return follow ? process.stdout : new DirectStdout();
  try {
    return fs.createWriteStream('', { fd: fs.openSync(file, 'w') });
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${errorCode(err)}`, EX_CANTCREAT);
  }
}
