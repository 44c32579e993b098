// The command line: yargs parses, a command function does the work and
// returns the exit status. A user's mistake prints one line and exits with
// its sysexits status; only a bug in ptyplex shows a stack trace.
// The top layer: may import every layer below (poller, console, config,
// session, server), one file per command. Each command's module is loaded
// when it runs: a `send` does not pay for loading `run`'s engine.
import yargs, { type Argv } from 'yargs';
import { SUCCESS_POLICIES } from '../session/exit-status.js';
import { VERSION } from '../version.js';
import { SessionError } from '../server/session-error.js';
import type { AdoptArgs } from './adopt.js';
import type { AttachArgs } from './attach.js';
import { daemonFailed } from './daemon-report.js';
import { DEFAULT_DETACH_KEYS } from './detach-keys.js';
import type { ExpectArgs } from './expect.js';
import type { NewArgs } from './new.js';
import type { RunArgs } from './run.js';
import type { SendArgs } from './send.js';
import type { DialStdioArgs } from './dial-stdio.js';
import type { HostArgs } from './hosts.js';
import type { StopArgs } from './stop.js';
import type { StartArgs } from './start.js';
import type { RestartArgs } from './restart.js';
import type { TeeArgs } from './tee.js';
import type { ResumeArgs } from './resume.js';
import type { WebArgs } from './web.js';
import { EX_SOFTWARE, EX_USAGE, UserError } from './user-error.js';

function runOptions(y: Argv) {
  return y
    .positional('cmds', { type: 'string', array: true, describe: 'Commands to run, each with $SHELL -c in its own PTY' })
    .option('file', { alias: 'f', type: 'string', describe: 'A Procfile or ptyplex.yaml of consoles' })
    .option('names', { type: 'string', describe: 'Comma-separated console names, one per command' })
    .option('log-dir', { type: 'string', describe: 'Write each console\'s raw output to DIR/NAME.log' })
    .option('log-plain', { type: 'boolean', default: false, describe: 'Also write DIR/NAME.plain.log with escape sequences stripped' })
    .option('record', { type: 'string', describe: 'Record each console as asciicast v2 in DIR/NAME.cast' })
    .option('prefix', { type: 'boolean', default: false, describe: 'Label lines even when there is one console' })
    .option('color', { type: 'boolean', describe: 'Colour labels (--no-color: never; default: when the terminal can)' })
    .option('timestamps', { alias: 't', type: 'boolean', default: false, describe: 'Add a time column to every line' })
    .option('success', { choices: SUCCESS_POLICIES, default: 'all' as const, describe: 'Which consoles\' exit statuses decide ptyplex\'s' })
    .option('restart', { choices: ['no', 'on-failure', 'always'] as const, describe: 'Restart the commands given here when they end (with a failure): doubling backoff from 1s' })
    .option('kill-others', { type: 'boolean', default: false, describe: 'When any console ends, stop all the others' })
    .option('kill-others-on-fail', { type: 'boolean', default: false, describe: 'When any console fails (non-zero, signal), stop all the others' })
    .option('env-file', { type: 'string', describe: 'Variables for every console from a .env FILE (a Procfile\'s own .env is read anyway)' })
    .option('kill-timeout', { type: 'string', default: '5s', describe: 'Grace between SIGINT and SIGKILL when stopping' })
    .option('cols', { type: 'number', default: 80, describe: 'Console width when not on a terminal' })
    .option('rows', { type: 'number', default: 24, describe: 'Console height when not on a terminal' })
    .option('adopt', { type: 'string', array: true, default: [] as string[], describe: 'Adopt the PTY masters runc/crun send to console socket PATH, as NAME (NAME=PATH)' })
    .option('once', { type: 'boolean', default: false, describe: 'With --adopt: stop listening after the first console' })
    .option('close-on-hangup', { type: 'string', describe: 'End an adopted console GRACE after its last slave closes (alone: at once)' })
    .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'Run the session in the background; return once its consoles started' })
    .option('replay-size', { type: 'string', default: '256k', describe: 'Recent output each console keeps for attach, tee and expect' })
    .option('client-queue', { type: 'string', default: '4M', describe: 'Output queued for a slow client before it skips ahead' });
}

/**
 * The terminal's width for help text, asked only when help is: reading
 * process.stdout.columns builds the stdout stream, and knowing whether it
 * is a terminal loads node:tty, which loads net and Node's streams (some
 * 3 ms): a command that prints nothing, or not to a terminal, need not pay.
 */
function helpColumns(argv: readonly string[]): number | undefined {
  if (!argv.some((a) => a === '--help' || a === '-h')) return undefined;
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } };
}

/**
 * yargs lays out the whole help text of every command it runs, before the
 * handler (usage.cacheHelpMessage), in case the handler asks for help
 * later. Ours never do (a failure is one line, never help), and that
 * layout is a sixth of a short command's start-up: skip it. Help asked for
 * with --help is laid out as before, when it is printed.
 */
function skipHelpLayout(parser: Argv): void {
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/** The global options that take a value (-L, -S, -H below), as separate words. */
const GLOBAL_VALUE_OPTIONS = new Set(['-L', '--session', '-S', '--socket', '-H', '--host']);
const GLOBAL_VALUE_ASSIGNED = /^--(session|socket|host)=/;

/**
 * The command argv runs, when a scan can be sure of it: the first word that
 * is not an option, with nothing before it but global options and their
 * values. yargs then needs only that command: registering all seventeen,
 * and matching argv against each, was a fifth of a short command's
 * parsing. Anything else before the command (--help, an option it does
 * not know) and no command at all leave the choice to yargs, among all.
 */
export function commandNamed(argv: readonly string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(word)) i++;
    else if (GLOBAL_VALUE_ASSIGNED.test(word)) continue;
    else if (word.startsWith('-')) return undefined;
    else return names.includes(word) ? word : undefined;
  }
  return undefined;
}

/** Parses argv, runs the command, returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  let parser = yargs(argv)
    .scriptName('ptyplex')
    .usage('$0 <command> [options]\n\nA pseudo-terminal multiplexer: run many commands in PTYs, tee them to the terminal, logs and recordings.');
  // Each command, registered only when run (see commandNamed).
  const commands: Record<string, (y: Argv) => Argv> = {
    run: (y) =>
      y.command(
        'run [cmds..]',
        'Run commands in PTYs, labelled on the terminal, until all end',
        runOptions,
        async (a) => {
          if (a.host !== undefined) throw new UserError('run starts a session here; on another host run it there (ssh HOST ptyplex run -d ...)', EX_USAGE);
          status = await (await import('./run.js')).runCommand({ ...a, cmds: a.cmds ?? [] } as RunArgs);
        },
      ),
    ls: (y) =>
      y.command('ls', 'List sessions and their consoles', (y) => y.option('json', { type: 'boolean', default: false, describe: 'As JSON' }), async (a) => {
        status = await (await import('./ls.js')).lsCommand(a);
      }),
    attach: (y) =>
      y.command(
        'attach <name>',
        'Connect this terminal to a console (detach: ctrl-p ctrl-q)',
        (y) =>
          y
            .positional('name', { type: 'string', demandOption: true, describe: 'The console' })
            .option('read-only', { alias: 'r', type: 'boolean', default: false, describe: 'Watch only: keys are not sent, size is not set (Ctrl-C leaves)' })
            .option('detach-keys', { type: 'string', default: DEFAULT_DETACH_KEYS, describe: 'Keys that detach, docker syntax; empty disables' }),
        async (a) => {
          status = await (await import('./attach.js')).attachCommand(a as AttachArgs);
        },
      ),
    tee: (y) =>
      y.command(
        'tee <names..>',
        'Follow consoles\' output (recent output first)',
        (y) =>
          y
            .positional('names', { type: 'string', array: true, demandOption: true, describe: 'Consoles to follow' })
            .option('output', { alias: 'o', type: 'string', describe: 'Write to FILE instead of stdout' })
            .option('follow', { type: 'boolean', default: true, describe: 'Keep following (--no-follow: print what is held, exit)' })
            .option('color', { type: 'boolean', describe: 'Colour labels' }),
        async (a) => {
          status = await (await import('./tee.js')).teeCommand(a as TeeArgs);
        },
      ),
    send: (y) =>
      y.command(
        'send <name> <text..>',
        'Type text into a console',
        (y) =>
          y
            .positional('name', { type: 'string', demandOption: true, describe: 'The console' })
            .positional('text', { type: 'string', array: true, demandOption: true, describe: 'Words, joined by spaces' })
            .option('keys', { alias: 'k', type: 'boolean', default: false, describe: 'Words that name keys (C-c, Enter, Up, Tab, Escape ...) are those keys' }),
        async (a) => {
          status = await (await import('./send.js')).sendCommand(a as SendArgs);
        },
      ),
    expect: (y) =>
      y.command(
        'expect <name> <regex>',
        'Wait for output matching REGEX (since the last input); print the match',
        (y) =>
          y
            .positional('name', { type: 'string', demandOption: true, describe: 'The console' })
            .positional('regex', { type: 'string', demandOption: true, describe: 'A JavaScript regular expression (^ and $ match at lines)' })
            .option('timeout', { type: 'string', default: '10s', describe: 'Give up (status 124) after this long' }),
        async (a) => {
          status = await (await import('./expect.js')).expectCommand(a as ExpectArgs);
        },
      ),
    new: (y) =>
      y.command(
        'new <name> [cmd..]',
        'Add a console to a running session: new NAME -- CMD [ARGS...]',
        (y) =>
          y
            .positional('name', { type: 'string', demandOption: true, describe: 'The new console\'s name' })
            .positional('cmd', { type: 'string', array: true, describe: 'The command (after --)' })
            .parserConfiguration({ 'populate--': true }),
        async (a) => {
          const rest = (a as { '--'?: unknown[] })['--'] ?? [];
          status = await (await import('./new.js')).newCommand({ ...a, cmd: [...(a.cmd ?? []), ...rest.map(String)] } as NewArgs);
        },
      ),
    adopt: (y) =>
      y.command(
        'adopt',
        'Receive container consoles on a console socket (runc/crun --console-socket)',
        (y) =>
          y
            .option('console-socket', { type: 'string', describe: 'The socket to listen on (created 0600); default: one in a new private directory, printed' })
            .option('name', { type: 'string', describe: 'Console name (then NAME-2 ...); default: the socket file\'s name' })
            .option('once', { type: 'boolean', default: false, describe: 'Stop listening after the first console' })
            .option('close-on-hangup', { type: 'string', describe: 'End a console GRACE after its last slave closes (alone: at once)' }),
        async (a) => {
          status = await (await import('./adopt.js')).adoptCommand(a as AdoptArgs);
        },
      ),
    stop: (y) =>
      y.command(
        'stop [names..]',
        'Stop consoles by their scripts, in order; report how each ended',
        (y) =>
          y
            .positional('names', { type: 'string', array: true, describe: 'Consoles to stop (default: all)' })
            .option('script', { type: 'string', describe: 'Stop scripts (YAML: consoles: NAME: stop: [...], stop_after: [...])' })
            .option('timeout', { type: 'string', default: '10s', describe: 'Bound on the whole stop; then SIGKILL what is left' })
            .option('json', { type: 'boolean', default: false, describe: 'The report as JSON' }),
        async (a) => {
          status = await (await import('./stop.js')).stopCommand({ ...a, names: a.names ?? [] } as StopArgs);
        },
      ),
    start: (y) =>
      y.command(
        'start <names..>',
        'Start consoles that have ended, failed, wait, or have autostart: false',
        (y) => y.positional('names', { type: 'string', array: true, demandOption: true, describe: 'Consoles to start' }),
        async (a) => {
          status = await (await import('./start.js')).startCommand(a as StartArgs);
        },
      ),
    restart: (y) =>
      y.command(
        'restart <names..>',
        'Stop consoles by their scripts and run them again (same log, clients stay attached)',
        (y) =>
          y
            .positional('names', { type: 'string', array: true, demandOption: true, describe: 'Consoles to restart' })
            .option('json', { type: 'boolean', default: false, describe: 'The stop report as JSON' }),
        async (a) => {
          status = await (await import('./restart.js')).restartCommand(a as RestartArgs);
        },
      ),
    web: (y) =>
      y.command(
        'web',
        'Serve the session\'s consoles to a browser (prints the URL to open)',
        (y) =>
          y
            .option('listen', { type: 'string', default: '127.0.0.1:7681', describe: 'HOST:PORT to listen on (port 0: any free one); not loopback needs TLS or --insecure' })
            .option('write', { type: 'boolean', default: false, describe: 'Let pages type into consoles and size them (default: read-only)' })
            .option('tls-cert', { type: 'string', describe: 'Serve HTTPS with this PEM certificate' })
            .option('tls-key', { type: 'string', describe: '... and this PEM key' })
            .option('insecure', { type: 'boolean', default: false, describe: 'Allow listening beyond loopback without TLS' })
            .option('open', { type: 'boolean', default: false, describe: 'Open the page in a browser ($BROWSER, else xdg-open) through a private file: the token stays off command lines' }),
        async (a) => {
          status = await (await import('./web.js')).webCommand(a as WebArgs);
        },
      ),
    upgrade: (y) =>
      y.command('upgrade', 'Replace the session\'s server with the ptyplex installed now, keeping every console running', (y) => y, async (a) => {
        status = await (await import('./upgrade.js')).upgradeCommand(a as HostArgs);
      }),
    __resume: (y) =>
      y.command(
        '__resume',
        false,
        (y) => y.option('state-fd', { type: 'number' }).option('check', { type: 'boolean', default: false }),
        async (a) => {
          status = await (await import('./resume.js')).resumeCommand(a as ResumeArgs);
        },
      ),
    'kill-server': (y) =>
      y.command('kill-server', 'Stop every console of a session and its server', (y) => y, async (a) => {
        status = await (await import('./kill-server.js')).killServerCommand(a as HostArgs);
      }),
    'dial-stdio': (y) =>
      y.command(
        'dial-stdio',
        'Connect stdin/stdout to a session\'s control socket (what -H runs on the remote host, over ssh)',
        (y) =>
          y
            .option('console', { type: 'string', describe: 'The session holding this console (as attach NAME finds it)' })
            .option('ls', { type: 'boolean', default: false, describe: 'Print the sessions as ls --json does, and exit' }),
        async (a) => {
          if (a.host !== undefined) throw new UserError('dial-stdio is the far end of -H; it takes no -H itself', EX_USAGE);
          status = await (await import('./dial-stdio.js')).dialStdioCommand(a as DialStdioArgs);
        },
      ),
  };
  const named = commandNamed(argv, Object.keys(commands));
  for (const [name, add] of Object.entries(commands)) if (named === undefined || name === named) parser = add(parser);
  parser = parser
    .option('session', { alias: 'L', type: 'string', global: true, describe: 'Session name (socket in $XDG_RUNTIME_DIR/ptyplex or /tmp/ptyplex-UID)' })
    .option('socket', { alias: 'S', type: 'string', global: true, describe: 'Session socket path (instead of -L)' })
    // Not `array: true`: that would swallow the positionals after it. Repeated, yargs gives an array.
    .option('host', { alias: 'H', type: 'string', global: true, describe: 'A session on another machine: ssh://[user@]host[:port], repeatable (default: $PTYPLEX_HOST)' })
    .demandCommand(1, 'give a command: run, ls, attach, tee, send, expect, new, adopt, stop, start, restart, upgrade, web, kill-server, dial-stdio')
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(100, helpColumns(argv) || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UserError(msg ?? 'bad usage', EX_USAGE);
    });
  skipHelpLayout(parser);
  try {
    await parser.parseAsync();
    return status;
  } catch (err) {
    if (err instanceof UserError || err instanceof SessionError) {
      const line = `ptyplex: ${err.message}\n`;
      process.stderr.write(line);
      daemonFailed(line);
      return err instanceof UserError ? err.exitCode : 1;
    }
    daemonFailed(`ptyplex: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`ptyplex: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EX_SOFTWARE;
  }
}
