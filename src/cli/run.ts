// `ptyplex run`: start every console, tee each to the terminal (labelled
// lines), log files and recordings, follow the terminal's size, and exit
// when all have ended with the status --success picks. Ctrl-C, SIGTERM or
// SIGHUP stop every console (SIGINT to its process group, SIGKILL after
// --kill-timeout); a second Ctrl-C kills at once.
import fs from 'node:fs';
import path from 'node:path';
import { consoleSize, type ConsoleSpec } from '../session/console-spec.js';
import { describeEnd, runStatus, type SuccessPolicy } from '../session/exit-status.js';
import { Session } from '../session/session.js';
import { CastSink, FileSink, PlainLogSink, PrefixSink, RawTerminalSink, type Sink } from '../session/sinks/index.js';
import { consoleColor, makeChalk } from './color.js';
import { parseDuration } from './duration.js';
import { loadSpecs } from './load-specs.js';
import { EX_CANTCREAT, UserError, errorCode } from './user-error.js';

export interface RunArgs {
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
  if (args.logPlain && args.logDir === undefined) throw new UserError('--log-plain needs --log-dir');
  const specs = loadSpecs(args);
  const stdout = process.stdout;
  // A terminal that went away (SIGHUP) or a closed pipe must not kill the
  // run: the logs still need every byte.
  stdout.on('error', () => undefined);
  const size = () => (stdout.isTTY ? { cols: stdout.columns, rows: stdout.rows } : { cols: args.cols, rows: args.rows });
  const chalk = makeChalk(args.color);
  const labelled = specs.length > 1 || args.prefix;
  const width = Math.max(...specs.map((s) => s.name.length));

  const plans = specs.map((spec, i) => ({
    spec,
    terminal: labelled
      ? new PrefixSink(stdout, {
        label: consoleColor(chalk, i)(`${spec.name.padEnd(width)} | `),
        timestamps: args.timestamps,
        marker: chalk.inverse('%'),
      })
      : new RawTerminalSink(stdout),
    files: openFileSinks(spec, args, consoleSize(spec, size())),
  }));

  const session = new Session();
  session.on('end', (end) => {
    const plan = plans.find((p) => p.spec.name === end.name);
    plan?.terminal.note(chalk.dim(describeEnd(end.name, end.exit)));
  });
  for (const p of plans) session.start(p.spec, [p.terminal, ...p.files], size());

  const onResize = () => session.resize(size().cols, size().rows);
  if (stdout.isTTY) stdout.on('resize', onResize);
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
