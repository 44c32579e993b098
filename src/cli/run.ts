// `ptyplex run`: start every console, tee each to the terminal (labelled
// lines), log files, recordings and the clients of the session's control
// socket, follow the terminal's size, and exit when all have ended with the
// status --success picks. Ctrl-C, SIGTERM or SIGHUP stop every console
// (SIGINT to its process group, SIGKILL after --kill-timeout); a second
// Ctrl-C kills at once. --detach does the same in a background server.
import fs from 'node:fs';
import path from 'node:path';
import { consoleSize, type ConsoleSpec } from '../session/console-spec.js';
import { describeEnd, runStatus, type SuccessPolicy } from '../session/exit-status.js';
import { ControlServer } from '../session/control-server.js';
import { Session } from '../session/session.js';
import { CastSink, FileSink, PlainLogSink, PrefixSink, RawTerminalSink, type Sink } from '../session/sinks/index.js';
import { consoleColor, makeChalk } from './color.js';
import { parseDuration } from './duration.js';
import { parseByteSize } from './byte-size.js';
import { daemonReady, daemonSocket, startDaemon } from './daemon.js';
import { loadSpecs } from './load-specs.js';
import { serverSocket } from './server-socket.js';
import type { TargetArgs } from './target.js';
import { EX_CANTCREAT, UserError, errorCode } from './user-error.js';

export interface RunArgs extends TargetArgs {
  detach: boolean;
  replaySize: string;
  clientQueue: string;
  cmds: string[];
  file?: string | undefined;
  names?: string | undefined;
  logDir?: string | undefined;
  logPlain: boolean;
  record?: string | undefined;
  prefix: boolean;
  color?: boolean | undefined;
  timestamps: boolean;
  success: SuccessPolicy;
  killTimeout: string;
  cols: number;
  rows: number;
}

export async function runCommand(args: RunArgs): Promise<number> {
  const killTimeout = parseDuration(args.killTimeout, 'kill-timeout');
  const ringSize = parseByteSize(args.replaySize, 'replay-size');
  const clientQueue = parseByteSize(args.clientQueue, 'client-queue');
  if (args.logPlain && args.logDir === undefined) throw new UserError('--log-plain needs --log-dir');
  const specs = loadSpecs(args);
  const daemon = daemonSocket();
  const socket = daemon ?? (await serverSocket(args));
  if (args.detach && daemon === undefined) return startDaemon(socket, `${socket}.log`);

  const stdout = process.stdout;
  // A terminal that went away (SIGHUP) or a closed pipe must not kill the
  // run: the logs still need every byte.
  stdout.on('error', () => undefined);
  const onTerminal = daemon === undefined;
  const size = () => (onTerminal && stdout.isTTY ? { cols: stdout.columns, rows: stdout.rows } : { cols: args.cols, rows: args.rows });
  const chalk = makeChalk(args.color);
  const labelled = specs.length > 1 || args.prefix;
  const width = Math.max(...specs.map((s) => s.name.length));
  const terminalSink = (spec: ConsoleSpec, i: number, label: boolean): Sink[] => {
    if (!onTerminal) return [];
    if (!label) return [new RawTerminalSink(stdout)];
    const text = consoleColor(chalk, i)(`${spec.name.padEnd(width)} | `);
    return [new PrefixSink(stdout, { label: text, timestamps: args.timestamps, marker: chalk.inverse('%') })];
  };
  // Everything that can fail (log files) is opened before anything starts.
  const plans = specs.map((spec, i) => ({ spec, sinks: [...terminalSink(spec, i, labelled), ...openFileSinks(spec, args, consoleSize(spec, size()))] }));

  const session = new Session({ ringSize, env: { PTYPLEX_SOCKET: socket } });
  const server = new ControlServer(session, {
    path: socket,
    name: path.basename(socket),
    clientQueue,
    // Consoles added later (`ptyplex new`) are always labelled: they share the terminal.
    startConsole: (spec) => {
      const sinks = [...terminalSink(spec, session.consoles.size, true), ...openFileSinks(spec, args, consoleSize(spec, size()))];
      return session.start(spec, sinks, size());
    },
    killServer: () => session.stop('SIGHUP', killTimeout),
    log: (line) => process.stderr.write(chalk.dim(`ptyplex: ${line}\n`)),
  });
  await server.listen();
  session.on('end', (end) => {
    const c = session.consoles.get(end.name);
    for (const sink of c?.sinks ?? []) sink.note?.(chalk.dim(describeEnd(end.name, end.exit)));
  });
  try {
    for (const p of plans) session.start(p.spec, p.sinks, size());
  } catch (err) {
    await server.close();
    throw err;
  }
  daemonReady();

  const onResize = () => session.resize(size().cols, size().rows);
  if (onTerminal && stdout.isTTY) stdout.on('resize', onResize);
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled === 1) {
      process.stderr.write(chalk.dim(`ptyplex: ${signal}: stopping every console (SIGKILL in ${args.killTimeout}${signal === 'SIGINT' ? '; Ctrl-C again to kill now' : ''})\n`));
      session.stop('SIGINT', killTimeout);
    } else {
      session.kill();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const ends = await session.whenAllEnded();
    return runStatus(args.success, ends.map((e) => e.exit));
  } finally {
    await server.close();
    for (const s of signals) process.off(s, onSignal);
    stdout.off('resize', onResize);
  }
}

// mkdir -p, one level at a time: Node's recursive mkdirSync never returns
// for a path under /proc (it retries ENOENT forever).
function makeDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeDir(parent);
  fs.mkdirSync(dir);
}

// Log and recording files are opened before any console starts, so a path
// that cannot be written is reported at once, not after work was done.
function openFileSinks(spec: ConsoleSpec, args: RunArgs, size: { cols: number; rows: number }): Sink[] {
  const sinks: Sink[] = [];
  const open = (dir: string, what: string, make: (file: string) => Sink) => {
    try {
      makeDir(dir);
      sinks.push(make(path.join(dir, `${spec.name}${what}`)));
    } catch (err) {
      throw new UserError(`cannot write ${path.join(dir, spec.name + what)}: ${errorCode(err)}`, EX_CANTCREAT);
    }
  };
  if (args.logDir !== undefined) {
    open(args.logDir, '.log', (f) => new FileSink(f));
    if (args.logPlain) open(args.logDir, '.plain.log', (f) => new PlainLogSink(f));
  }
  if (args.record !== undefined) {
    open(args.record, '.cast', (f) => new CastSink(f, { ...size, command: spec.cmd, title: spec.name }));
  }
  return sinks;
}
