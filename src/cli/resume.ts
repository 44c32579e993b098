// `ptyplex __resume`: not for users. `--state-fd N`: this process is a
// session server whose previous program just replaced itself with this one
// (an upgrade); it reads the state that program left in fd N and goes on
// serving. `--check`: asked by an upgrading server before it goes, reads
// the state's header on stdin and exits 0 if this ptyplex can take it over,
// else says why in one line.
import fs from 'node:fs';
import { foreignChild, headerProblem, readState, StateError } from '../server/upgrade-state.js';
import type { RunHandover } from './run.js';
import { EX_SOFTWARE, UserError } from './user-error.js';

export interface ResumeArgs {
  stateFd?: number | undefined;
  check: boolean;
}

export async function resumeCommand(args: ResumeArgs): Promise<number> {
  if (args.check) return check();
  if (args.stateFd === undefined) throw new UserError('__resume needs --state-fd or --check');
  let state;
  try {
    state = readState(args.stateFd);
  } catch (err) {
    if (err instanceof StateError) throw new UserError(err.message, EX_SOFTWARE);
    throw err;
  }
  const foreign = foreignChild(state);
  if (foreign !== undefined) throw new UserError(foreign, EX_SOFTWARE);
  const { runCommand } = await import('./run.js');
  return runCommand((state.run as RunHandover).args, state);
}

function check(): number {
  let header: unknown;
  try {
    const line = fs.readFileSync(0, 'utf8').split('\n')[0] ?? '';
    header = JSON.parse(line);
  } catch {
    header = null;
  }
  const problem = headerProblem(header);
  if (problem === undefined) return 0;
  process.stderr.write(`ptyplex: ${problem}\n`);
  return 1;
}
