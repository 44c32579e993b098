// `ptyplex expect NAME REGEX`: wait until the console shows text matching
// REGEX, print the match, exit 0; 124 on --timeout (as timeout(1)). It
// looks at the output since the last input anyone sent the console (or its
// start), so `send` then `expect` cannot miss a fast answer.
import { ConsoleFollower } from '../server/console-follower.js';
import { compilePattern } from '../config/pattern.js';
import { Matcher } from '../session/matcher.js';
import { parseDuration } from './duration.js';
import { print } from './print.js';
import { consoleEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';
import { EX_USAGE, UserError } from './user-error.js';

export interface ExpectArgs extends HostArgs {
  name: string;
  regex: string;
  timeout: string;
}

export const EXIT_TIMEOUT = 124;

export async function expectCommand(args: ExpectArgs): Promise<number> {
  const timeout = parseDuration(args.timeout, 'timeout');
  let pattern: RegExp;
  try {
    pattern = compilePattern(args.regex);
  } catch (err) {
    throw new UserError(`bad regular expression: ${(err as Error).message}`, EX_USAGE);
  }
  const matcher = new Matcher(pattern);
  const { endpoint, console } = await consoleEndpoint(args.name, args);
  let ended = '';
  let lost: string | undefined;
  let outcome!: Promise<RegExpExecArray | undefined>;
  // A follower: an upgrade of the server is ridden out, not taken for its end.
  const listen = (client: ConsoleFollower) => {
    outcome = new Promise((resolve) => {
      client.on('data', (data) => {
        const m = matcher.feed(data);
        if (m !== undefined) resolve(m);
      });
      client.on('message', (msg) => {
        if (msg.event === 'end') ended = String(msg.description);
      });
      client.once('close', (how) => {
        lost = how.lost ?? (endpoint.host === undefined ? undefined : how.reason);
        resolve(undefined);
      });
    });
  };
  let timedOut = false;
  let client: ConsoleFollower | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    client?.close();
  }, timeout);
  try {
    client = await ConsoleFollower.open(() => endpoint.connect(), { op: 'tee', console, follow: true, from: 'input' }, listen);
    if (timedOut) client.close();
    const match = await outcome;
    if (match !== undefined) {
      print(`${match[0]}\n`);
      return 0;
    }
    if (ended !== '') throw new UserError(`${ended} before /${args.regex}/ appeared`, 1);
    if (!timedOut) throw new UserError(`lost the session server while waiting for /${args.regex}/${lost === undefined ? '' : ` (${lost})`}`, 1);
    throw new UserError(`timed out after ${args.timeout} waiting for /${args.regex}/ on ${args.name}`, EXIT_TIMEOUT);
  } finally {
    clearTimeout(timer);
    client?.close();
  }
}
