// `ptyplex tee NAME...`: follow consoles' output like `tail -f`, from the
// recent output the session still holds; several consoles are line-prefixed
// with their names. --no-follow prints what is held and exits.
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { ConsoleFollower } from '../server/console-follower.js';
import { PrefixSink } from '../session/sinks/prefix-sink.js';
import { consoleColor, makeChalk } from './color.js';
import { consoleTarget, type TargetArgs } from './target.js';
import { EX_CANTCREAT, UserError, errorCode } from './user-error.js';

export interface TeeArgs extends TargetArgs {
  names: string[];
  output?: string | undefined;
  follow: boolean;
  color?: boolean | undefined;
}

export async function teeCommand(args: TeeArgs): Promise<number> {
  const out = openOutput(args.output);
  const chalk = makeChalk(args.output === undefined ? args.color : false);
  const width = Math.max(...args.names.map((n) => n.length));
  let stopping = false;
  // Connect to every session first: a console in no session fails before
  // anything is printed (with -L/-S the server says so, on the first reply).
  const targets = await Promise.all(args.names.map((name) => consoleTarget(name, args)));
  const followed = targets.map((target, i) => {
    const name = args.names[i]!;
    const sink = args.names.length > 1 ? new PrefixSink(out, { label: consoleColor(chalk, i)(`${name.padEnd(width)} | `) }) : undefined;
    let finished = false;
    let lost: string | undefined;
    const listen = (client: ConsoleFollower) => {
      client.on('data', (data) => (sink ? sink.write(data) : out.write(data)));
      client.on('message', (msg) => {
        if (msg.event === 'skipped') process.stderr.write(`ptyplex: ${name}: fell behind, skipped ${String(msg.bytes)} bytes\n`);
        if (msg.event === 'end' || msg.event === 'eof') finished = true;
      });
      return new Promise<boolean>((resolve) =>
        client.once('close', (how) => {
          lost = how.lost;
          resolve(finished || stopping);
        }),
      ).then(async (ok) => {
        await sink?.end();
        if (!ok) process.stderr.write(`ptyplex: ${name}: ${lost ?? 'the session server hung up before the console ended'}\n`);
        return ok;
      });
    };
    let done!: Promise<boolean>;
    const client = ConsoleFollower.open(target, { op: 'tee', console: name, follow: args.follow }, (f) => {
      done = listen(f);
    });
    return { client, done: client.then(() => done) };
  });
  const clients = await Promise.all(followed.map((f) => f.client));
  const stop = () => {
    stopping = true;
    clients.forEach((c) => c.close());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const complete = await Promise.all(followed.map((f) => f.done));
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await new Promise<void>((resolve) => (out === process.stdout ? resolve() : out.end(resolve)));
  return complete.every(Boolean) ? 0 : 1;
}

function openOutput(file: string | undefined): Writable {
  if (file === undefined) {
    process.stdout.on('error', () => undefined); // A closed pipe (| head) ends us quietly.
    return process.stdout;
  }
  try {
    return fs.createWriteStream('', { fd: fs.openSync(file, 'w') });
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${errorCode(err)}`, EX_CANTCREAT);
  }
}
