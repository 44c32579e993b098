// Which consoles a `run` starts: commands from the command line (named by
// --names or after their program), consoles from a Procfile or ptyplex.yaml,
// or, with neither, ./ptyplex.yaml or ./Procfile if present. A Procfile's
// directory's .env is read as foreman and overmind do; --env-file adds
// variables to every console (a console's own env: wins).
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { parseYamlConfig } from '../config/config-yaml.js';
import { NAME_PATTERN, nameProblem, type ConsoleSpec } from '../config/console-spec.js';
import { parseProcfile } from '../config/procfile.js';
import { readEnvFile } from '../config/env-file.js';
import type { RestartPolicy } from '../config/supervision.js';
import { EX_DATAERR, EX_NOINPUT, UserError, errorCode } from './user-error.js';

export interface SpecArgs {
  cmds: readonly string[];
  file?: string | undefined;
  names?: string | undefined;
  /** Nothing to spawn is fine (consoles will be adopted). */
  allowEmpty?: boolean;
  /** --env-file: variables for every console. */
  envFile?: string | undefined;
  /** --restart: the policy of the commands given on the command line. */
  restart?: RestartPolicy | undefined;
}

export function loadSpecs(args: SpecArgs): ConsoleSpec[] {
  const fromFile = args.file !== undefined ? readConfig(args.file) : [];
  const fromArgs = specsFromCommands(args.cmds, args.names).map((s) => (args.restart !== undefined ? { ...s, restart: args.restart } : s));
  let specs = [...fromFile, ...fromArgs];
  if (specs.length === 0 && !args.allowEmpty) {
    const found = ['ptyplex.yaml', 'ptyplex.yml', 'Procfile'].find((f) => fs.existsSync(f));
    if (found === undefined) throw new UserError('nothing to run: give commands, or -f with a Procfile or ptyplex.yaml');
    specs = readConfig(found);
  }
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new UserError(`duplicate console name "${s.name}"`);
    seen.add(s.name);
    // Checked here, not left to the child: a failed chdir in the forked
    // child could only say "exited with code 1".
    if (s.cwd !== undefined && !isDirectory(s.cwd)) throw new UserError(`console "${s.name}": cwd ${s.cwd} is not a directory`, EX_NOINPUT);
  }
  const common = args.envFile !== undefined ? configured(() => readEnvFile(args.envFile!)) : {};
  return Object.keys(common).length === 0 ? specs : specs.map((s) => ({ ...s, env: { ...common, ...s.env } }));
}

// A ConfigError (a file's mistake) is the user's: one line, EX_DATAERR.
function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message, err.line === undefined ? EX_NOINPUT : EX_DATAERR);
    throw err;
  }
}

// foreman's and overmind's rule: the .env beside the Procfile, if there is one.
function procfileEnv(file: string): Record<string, string> {
  const dotenv = path.join(path.dirname(file), '.env');
  return fs.existsSync(dotenv) ? readEnvFile(dotenv) : {};
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function readConfig(file: string): ConsoleSpec[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${errorCode(err)}`, EX_NOINPUT);
  }
  return configured(() => {
    if (/\.ya?ml$/i.test(file)) return parseYamlConfig(text, file);
    const env = procfileEnv(file);
    return parseProcfile(text, file).map((s) => (Object.keys(env).length > 0 ? { ...s, env } : s));
  });
}

function specsFromCommands(cmds: readonly string[], names: string | undefined): ConsoleSpec[] {
  cmds.forEach((cmd, i) => {
    if (cmd.trim() === '') throw new UserError(`command ${i + 1} is empty`);
  });
  if (names === undefined) return dedupe(cmds.map((cmd) => ({ name: programName(cmd), cmd })));
  const list = names.split(',').map((n) => n.trim());
  if (list.length !== cmds.length) {
    throw new UserError(`--names gives ${list.length} name${list.length === 1 ? '' : 's'} for ${cmds.length} command${cmds.length === 1 ? '' : 's'}`);
  }
  for (const n of list) {
    const bad = nameProblem(n);
    if (bad !== undefined) throw new UserError(`--names: ${bad}`);
  }
  return cmds.map((cmd, i) => ({ name: list[i]!, cmd }));
}

// "FOO=1 ./bin/server --port 80" is named "server".
function programName(cmd: string): string {
  const word = cmd.trim().split(/\s+/).find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? 'console';
  const base = path.basename(word).replace(/[^A-Za-z0-9_.-]/g, '');
  return NAME_PATTERN.test(base) ? base : 'console';
}

function dedupe(specs: ConsoleSpec[]): ConsoleSpec[] {
  const count = new Map<string, number>();
  return specs.map((s) => {
    const n = (count.get(s.name) ?? 0) + 1;
    count.set(s.name, n);
    return n === 1 ? s : { ...s, name: `${s.name}-${n}` };
  });
}
