// `ptyplex run`: start every console, tee each to the terminal (labelled
// lines), log files, recordings and the clients of the session's control
// socket, follow the terminal's size, and exit when all have ended with the
// status --success picks. Ctrl-C, SIGTERM or SIGHUP stop every console
// (SIGINT to its process group, SIGKILL after --kill-timeout); a second
// Ctrl-C kills at once. --detach does the same in a background server.
// Consoles start in depends_on order, gated on readiness, and restart by
// their policy (see session/supervisor.ts); --kill-others(-on-fail) stops
// everything once one ends (fails).
import fs from 'node:fs';
import path from 'node:path';
import { SpawnError } from '../console/spawn-error.js';
import { SysError } from '../sys-error.js';
import { nameProblem, consoleSize, type ConsoleSpec } from '../config/console-spec.js';
import { describeEnd, runStatus, type SuccessPolicy } from '../session/exit-status.js';
import { Adoption, type AdoptRequest } from '../server/adoption.js';
import { ControlServer } from '../server/control-server.js';
import { Session } from '../session/session.js';
import { Supervisor } from '../session/supervisor.js';
import type { RestartPolicy } from '../config/supervision.js';
import { statusCode } from '../session/exit-status.js';
import { scriptsOf, type ConsoleScript, type ScriptJson } from '../config/stop-script.js';
import { CastSink, FileSink, PlainLogSink, PrefixSink, RawTerminalSink, type Sink } from '../session/sinks/index.js';
import { consoleColor, makeChalk } from './color.js';
import { parseDuration } from './duration.js';
import { parseByteSize } from './byte-size.js';
import { daemonReady, daemonSocket, startDaemon } from './daemon.js';
import { upgradeServer } from '../server/upgrade.js';
import type { HeldFile, UpgradeState } from '../server/upgrade-state.js';
import { resumeServer } from './resume-server.js';
import { SERVER_ARGS, VERSION } from './self.js';
import { loadSpecs } from './load-specs.js';
import { serverSocket } from './server-socket.js';
import type { TargetArgs } from './target.js';
import { EX_CANTCREAT, EX_OSERR, UserError, errorCode } from './user-error.js';

export interface RunArgs extends TargetArgs {
  adopt: string[];
  once: boolean;
  closeOnHangup?: string | undefined;
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
  restart?: RestartPolicy | undefined;
  killOthers: boolean;
  killOthersOnFail: boolean;
  envFile?: string | undefined;
  killTimeout: string;
  cols: number;
  rows: number;
}

/** What `run` hands to its next program in an upgrade (see upgrade.ts). */
export interface RunHandover {
  args: RunArgs;
  specs: ConsoleSpec[];
  socket: string;
  daemon: boolean;
}

/** resumed: this server's previous program's state (an upgrade), instead of starting anew. */
export async function runCommand(args: RunArgs, resumed?: UpgradeState): Promise<number> {
  const killTimeout = parseDuration(args.killTimeout, 'kill-timeout');
  const ringSize = parseByteSize(args.replaySize, 'replay-size');
  const clientQueue = parseByteSize(args.clientQueue, 'client-queue');
  if (args.logPlain && args.logDir === undefined) throw new UserError('--log-plain needs --log-dir');
  const handover = resumed?.run as RunHandover | undefined;
  const adoptions = handover === undefined ? adoptRequests(args) : [];
  const specs = handover?.specs ?? loadSpecs({ ...args, allowEmpty: adoptions.length > 0 });
  for (const s of handover === undefined ? specs : []) {
    if (s.adopt === undefined) continue;
    const stop = { ...(s.stop && { stop: s.stop }), ...(s.stopAfter && { stopAfter: s.stopAfter }), ...(s.dependsOn && { dependsOn: s.dependsOn }) };
    // A console of the file is one console, like a cmd: its socket takes one master.
    adoptions.push({ socket: path.resolve(s.adopt), name: s.name, once: true, ...closeOnHangupOf(args), stop });
  }
  const spawned = specs.filter((s) => s.adopt === undefined);
  const daemon = handover === undefined ? daemonSocket() : handover.daemon ? handover.socket : undefined;
  const socket = handover?.socket ?? daemon ?? (await serverSocket(args));
  if (args.detach && daemon === undefined) return startDaemon(socket, `${socket}.log`);
  const inherited = new Map((resumed?.files ?? []).map((f) => [f.path, f]));

  const stdout = process.stdout;
  // A terminal that went away (SIGHUP) or a closed pipe must not kill the
  // run: the logs still need every byte.
  stdout.on('error', () => undefined);
  const onTerminal = daemon === undefined;
  const size = () => (onTerminal && stdout.isTTY ? { cols: stdout.columns, rows: stdout.rows } : { cols: args.cols, rows: args.rows });
  const chalk = makeChalk(args.color);
  const labelled = specs.length > 1 || args.prefix;
  const width = Math.max(0, ...specs.map((s) => s.name.length), ...adoptions.map((a) => a.name.length));
  const terminalSink = (spec: ConsoleSpec, i: number, label: boolean): Sink[] => {
    if (!onTerminal) return [];
    if (!label) return [new RawTerminalSink(stdout)];
    const text = consoleColor(chalk, i)(`${spec.name.padEnd(width)} | `);
    return [new PrefixSink(stdout, { label: text, timestamps: args.timestamps, marker: chalk.inverse('%') })];
  };
  // Everything that can fail (log files) is opened before anything starts.
  const log = (line: string) => process.stderr.write(chalk.dim(`ptyplex: ${line}\n`));
  const fileSinks = (spec: ConsoleSpec) => openFileSinks(spec, args, consoleSize(spec, size()), log, inherited);
  const plans = new Map(spawned.map((spec, i) => [spec.name, [...terminalSink(spec, i, labelled), ...fileSinks(spec)]]));

  const session = new Session({ ringSize, env: { PTYPLEX_SOCKET: socket }, ...(resumed && { startedAt: resumed.startedAt }) });
  // Consoles that arrive later (`ptyplex new`, adopted) are always
  // labelled: they share the terminal.
  const laterSinks = (spec: ConsoleSpec) => [...terminalSink(spec, session.consoles.size, true), ...fileSinks(spec)];
  const adoption = new Adoption(session, laterSinks, size, log);
  const supervisor = new Supervisor(session, spawned, { sinksFor: (spec) => plans.get(spec.name) ?? laterSinks(spec), size });
  const server: ControlServer = new ControlServer(session, {
    path: socket,
    name: path.basename(socket),
    clientQueue,
    startConsole: (spec) => session.start(spec, laterSinks(spec), size()),
    adopt: (req) => adoption.listen(req),
    scriptsFor: (names, custom) => scriptsFor(session, names, custom, killTimeout),
    supervisor,
    killServer: () => {
      adoption.close();
      supervisor.stopAll();
      session.stop('SIGHUP', killTimeout);
    },
    log,
    version: VERSION,
    generation: resumed?.generation ?? 0,
    upgrade: (): Promise<string> => {
      const run: RunHandover = { args, specs, socket, daemon: daemon !== undefined };
      return upgradeServer({ session, server, adoption, supervisor, generation: resumed?.generation ?? 0, program: SERVER_ARGS, run, log });
    },
  });
  if (resumed === undefined) await server.listen();
  else await resumeServer(resumed, { session, server, adoption, supervisor, sinksFor: (spec) => plans.get(spec.name) ?? laterSinks(spec), log });
  session.on('end', (end) => {
    const c = session.consoles.get(end.name);
    for (const sink of c?.sinks ?? []) sink.note?.(chalk.dim(describeEnd(end.name, end.exit)));
    // concurrently's --kill-others(-on-fail): the first console to end (fail) stops the rest.
    if (args.killOthers || (args.killOthersOnFail && statusCode(end.exit) !== 0)) stopEverything(`${describeEnd(end.name, end.exit)}: stopping the others`);
  });
  try {
    for (const a of adoptions) await adoption.listen(a);
    supervisor.startAll();
    if (resumed !== undefined) log(`upgraded: generation ${resumed.generation}, ptyplex ${VERSION}, ${resumed.consoles.length} console(s) taken over`);
    refuseStartFailure(session, supervisor);
  } catch (err) {
    // All or nothing: the consoles already started are stopped, so a run
    // that failed leaves nothing behind.
    adoption.close();
    supervisor.stopAll();
    session.kill();
    await session.whenAllEnded();
    await server.close();
    throw err;
  }
  daemonReady();

  const onResize = () => session.resize(size().cols, size().rows);
  if (onTerminal && stdout.isTTY) stdout.on('resize', onResize);
  let signalled = 0;
  let stopping = false;
  // Nothing not yet started starts, nothing restarts (a backoff wait ends
  // now), every live console runs its stop script.
  function stopEverything(why: string): void {
    if (stopping) return;
    stopping = true;
    log(why);
    adoption.close();
    supervisor.stopAll();
    const live = session.live().map((c) => c.name);
    void session.shutdown(scriptsFor(session, live, {}, killTimeout));
  }
  // The first Ctrl-C (or SIGTERM, SIGHUP) runs each console's stop script,
  // the same `ptyplex stop` runs; the second kills at once.
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled === 1) {
      stopEverything(`${signal}: stopping every console (its stop script, else SIGINT and SIGKILL after ${args.killTimeout}${signal === 'SIGINT' ? '; Ctrl-C again to kill now' : ''})`);
    } else {
      session.kill();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const ends = await session.whenAllEnded();
    const status = runStatus(args.success, ends.map((e) => e.exit));
    // A console that never started (its dependency failed) fails the run too.
    return status === 0 && args.success === 'all' && supervisor.anyFailed ? 1 : status;
  } finally {
    adoption.dispose();
    await server.close();
    for (const s of signals) process.off(s, onSignal);
    stdout.off('resize', onResize);
  }
}

// A console of the first wave the system cannot start (out of file
// descriptors or PTYs, or its program cannot be run: posix_spawn says so
// here, where a forked child used to print it and exit) is the user's to
// fix: one line naming it and why, and how many of the others are stopped
// again. (One gated on a dependency starts later and fails alone, as its
// state says.)
function refuseStartFailure(session: Session, supervisor: Supervisor): void {
  const failure = supervisor.startFailure();
  if (failure === undefined || !(failure.error instanceof SpawnError || failure.error instanceof SysError)) return;
  const started = session.consoles.size;
  const undone = started === 0 ? '' : `; stopped the ${started} console${started === 1 ? '' : 's'} already started`;
  throw new UserError(`cannot start "${failure.name}": ${failure.error.message}${undone}`, EX_OSERR);
}

/**
 * The stop script of each named console: the client's (`stop --script`)
 * where given, else its own from ptyplex.yaml, else SIGINT and a wait of
 * the kill timeout (an adopted console, with no process, is just closed).
 */
function scriptsFor(session: Session, names: string[], custom: Record<string, ScriptJson>, killTimeout: number): Map<string, ConsoleScript> {
  const specs = names.map((name) => {
    const spec = session.consoles.get(name)!.spec;
    const own = Object.hasOwn(custom, name) ? custom[name] : undefined;
    return own === undefined ? spec : { ...spec, stop: own.stop ?? spec.stop, stopAfter: own.stopAfter ?? [], dependsOn: own.dependsOn ?? [] };
  });
  const scripts = scriptsOf(specs, [{ signal: 'SIGINT' }, { wait: killTimeout }]);
  for (const [name, script] of scripts) {
    if (session.consoles.get(name)!.child.pid === null && specs.find((s) => s.name === name)!.stop === undefined) script.steps = [{ close: true }];
  }
  return scripts;
}

// --adopt NAME=PATH (or just PATH: named after the socket file).
function adoptRequests(args: RunArgs): AdoptRequest[] {
  return args.adopt.map((item) => {
    const eq = item.indexOf('=');
    const file = path.resolve(eq >= 0 ? item.slice(eq + 1) : item);
    const name = eq >= 0 ? item.slice(0, eq) : path.basename(file).replace(/\.sock$/, '');
    const bad = nameProblem(name);
    if (bad !== undefined) throw new UserError(`--adopt: ${bad}`);
    return { socket: file, name, once: args.once, ...closeOnHangupOf(args) };
  });
}

/** --close-on-hangup alone is 0 (end as soon as drained); with a value, that grace. */
export function closeOnHangupOf(args: { closeOnHangup?: string | undefined }): { closeOnHangup?: number } {
  if (args.closeOnHangup === undefined) return {};
  return { closeOnHangup: args.closeOnHangup === '' ? 0 : parseDuration(args.closeOnHangup, 'close-on-hangup') };
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
// One that fails later (a full disk) is reported and dropped; the console
// and its other outputs go on.
function openFileSinks(spec: ConsoleSpec, args: RunArgs, size: { cols: number; rows: number }, log: (line: string) => void, inherited: ReadonlyMap<string, HeldFile>): Sink[] {
  const sinks: Sink[] = [];
  const open = (dir: string, what: string, make: MakeSink) => {
    const file = path.join(dir, `${spec.name}${what}`);
    try {
      // After an upgrade: the same file, open where the last program left it.
      const held = inherited.get(file);
      if (held === undefined) makeDir(dir);
      const sink = make(file, held);
      sink.onError((err) => log(`${spec.name}: cannot write ${file}: ${errorCode(err)}; that file stops here, the console goes on`));
      sinks.push(sink);
    } catch (err) {
      throw new UserError(`cannot write ${path.join(dir, spec.name + what)}: ${errorCode(err)}`, EX_CANTCREAT);
    }
  };
  if (args.logDir !== undefined) {
    open(args.logDir, '.log', (f, held) => new FileSink(f, held?.fd));
    if (args.logPlain) open(args.logDir, '.plain.log', (f, held) => new PlainLogSink(f, held));
  }
  if (args.record !== undefined) {
    open(args.record, '.cast', (f, held) => new CastSink(f, { ...size, command: spec.cmd, title: spec.name }, held === undefined ? undefined : { fd: held.fd, elapsed: held.elapsed ?? 0 }));
  }
  return sinks;
}

// held: the file as the server's last program left it (an upgrade).
type MakeSink = (file: string, held?: HeldFile) => FileSink;
