// `ptyplex new NAME -- CMD [ARGS...]`: add a console to a running session.
// One word is a shell command line; several are quoted into one.
import { sessionEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';
import { EX_USAGE, UserError } from './user-error.js';

export interface NewArgs extends HostArgs {
  name: string;
  cmd: string[];
}

export async function newCommand(args: NewArgs): Promise<number> {
  if (args.cmd.length === 0) throw new UserError('new: give the command after --, e.g. ptyplex new web -- npm start', EX_USAGE);
  const cmd = args.cmd.length === 1 ? args.cmd[0]! : args.cmd.map(shellQuote).join(' ');
  const endpoint = await sessionEndpoint(args);
  // Our directory means nothing on another host: there the server's own is used.
  const { client } = await endpoint.ask({ op: 'new', name: args.name, cmd, ...(endpoint.host === undefined && { cwd: process.cwd() }) });
  client.close();
  return 0;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-./=:,+@%]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
