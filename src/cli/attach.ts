// `ptyplex attach NAME`: the user's terminal, in raw mode, connected to one
// console. The recent output is replayed first; keys go to the console
// (unless --read-only) until the detach keys, the console's end, or the
// server's. The terminal is given back exactly as it was in every case.
import { statusCode } from '../session/exit-status.js';
import { ConsoleFollower } from '../server/console-follower.js';
import { ScreenMode } from '../session/screen-mode.js';
import { DetachKeys, parseDetachKeys } from './detach-keys.js';
import { consoleEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';
import { TerminalGuard } from './terminal-guard.js';
import { EX_USAGE, UserError } from './user-error.js';

export interface AttachArgs extends HostArgs {
  name: string;
  readOnly: boolean;
  detachKeys: string;
}

const CTRL_C = 0x03;
const LOST = '[lost the session server]';

export async function attachCommand(args: AttachArgs): Promise<number> {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) throw new UserError('attach needs a terminal (for scripts: tee, send, expect)', EX_USAGE);
  const keys = new DetachKeys(parseDetachKeys(args.detachKeys));
  const { endpoint, console } = await consoleEndpoint(args.name, args);
  const screen = new ScreenMode();
  let guard: TerminalGuard | undefined;
  let ending = LOST;
  let status = 1;
  let atLineStart = true;

  guard = TerminalGuard.enter(stdin);
  let closed!: Promise<void>;
  const listen = (client: ConsoleFollower) => {
    client.on('data', (data) => {
      screen.scan(data);
      guard?.setAlternate(screen.alternate);
      if (data.length > 0) atLineStart = data[data.length - 1] === 0x0a;
      stdout.write(data);
    });
    client.on('message', (msg) => {
      if (msg.event === 'end') {
        ending = `[${String(msg.description)}]`;
        status = statusCode({ exitCode: numberOrNull(msg.exitCode), signal: numberOrNull(msg.signal) });
      } else if (msg.ok === false) {
        ending = `[ptyplex: ${String(msg.error)}]`;
      } else if (msg.event === 'hung-up') {
        // Said once per hang-up: what is typed until a program opens the terminal again is dropped.
        stdout.write(`\r\n[ptyplex: ${args.name} is hung up (nothing has its terminal open); keys are dropped]\r\n`);
      } else if (msg.event === 'skipped' && !screen.alternate) {
        stdout.write(`\r\n[ptyplex: fell behind, skipped ${String(msg.bytes)} bytes]\r\n`);
      }
    });
    closed = new Promise<void>((resolve) =>
      client.once('close', (how) => {
        if (how.lost !== undefined) ending = `[ptyplex: ${how.lost}]`;
        // Over ssh, what ended it is worth its line (the connection dropped, ssh killed).
        else if (endpoint.host !== undefined && ending === LOST && how.reason !== undefined) ending = `[ptyplex: ${how.reason}]`;
        resolve();
      }),
    );
  };
  let client: ConsoleFollower;
  try {
    client = await ConsoleFollower.open(() => endpoint.connect(), { op: 'attach', console, readOnly: args.readOnly, ...termSize() }, listen);
  } catch (err) {
    guard.restore();
    throw err;
  }
  const detach = () => {
    ending = `[detached from ${args.name}]`;
    status = 0;
    client.send({ op: 'detach' });
    client.close();
    // A server that does not answer (wedged, or gone without a word) must
    // not keep the terminal: hang up ourselves soon after.
    setTimeout(() => client.destroy(), 500).unref();
  };
  stdin.on('data', (input: Buffer) => {
    const { pass, detach: done } = keys.feed(input);
    if (args.readOnly) {
      // A watcher cannot type; Ctrl-C is how people expect to stop watching.
      if (done || pass.includes(CTRL_C)) detach();
    } else {
      if (pass.length > 0) client.sendData(pass);
      if (done) detach();
    }
  });
  const onResize = () => client.send({ op: 'resize', ...termSize() });
  stdout.on('resize', onResize);
  // Signals a client can catch end it like a detach: the terminal comes back.
  const onSignal = () => detach();
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];
  for (const s of signals) process.on(s, onSignal);
  try {
    await closed;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    stdout.off('resize', onResize);
    stdin.pause();
    guard.setAlternate(screen.alternate);
    guard.restore();
  }
  stdout.write(`${atLineStart || screen.alternate ? '' : '\r\n'}${ending}\n`);
  return status;
}

// A terminal with no window size set (a serial console, some `docker exec
// -t`) says 0x0: it gets the size terminals have by default.
function termSize(): { cols: number; rows: number } {
  return { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}
