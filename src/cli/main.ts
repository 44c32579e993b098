// The command line: yargs parses, a command function does the work and
// returns the exit status. A user's mistake prints one line and exits with
// its sysexits status; only a bug in ptyplex shows a stack trace.
import yargs, { type Argv } from 'yargs';
import { SUCCESS_POLICIES } from '../session/exit-status.js';
import { runCommand, type RunArgs } from './run.js';
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
    .option('kill-timeout', { type: 'string', default: '5s', describe: 'Grace between SIGINT and SIGKILL when stopping' })
    .option('cols', { type: 'number', default: 80, describe: 'Console width when not on a terminal' })
    .option('rows', { type: 'number', default: 24, describe: 'Console height when not on a terminal' });
}

/** Parses argv, runs the command, returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const parser = yargs(argv)
    .scriptName('ptyplex')
    .usage('$0 <command> [options]\n\nA pseudo-terminal multiplexer: run many commands in PTYs, tee them to the terminal, logs and recordings.')
    .command(
      'run [cmds..]',
      'Run commands in PTYs, labelled on the terminal, until all end',
      runOptions,
      async (a) => {
        status = await runCommand({ ...a, cmds: a.cmds ?? [] } as RunArgs);
      },
    )
    .demandCommand(1, 'give a command: run')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UserError(msg ?? 'bad usage', EX_USAGE);
    });
  try {
    await parser.parseAsync();
    return status;
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`ptyplex: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`ptyplex: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EX_SOFTWARE;
  }
}
