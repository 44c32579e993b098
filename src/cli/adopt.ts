// `ptyplex adopt --console-socket PATH`: have a session listen on PATH for
// the PTY masters container runtimes send (runc/crun --console-socket) and
// take each in as a console. With no session running, one is started in the
// background for it. Returns once the socket is listening, so a script can
// run the runtime next.
import path from 'node:path';
import { ControlClient } from '../server/control-client.js';
import { nameProblem } from '../config/console-spec.js';
import { probeSocket } from '../server/unix-socket.js';
import { closeOnHangupOf } from './run.js';
import { BIN_ARGS } from './self.js';
import { allSessions, givenSocket, sessionTarget, type TargetArgs } from './target.js';
import { EX_USAGE, UserError } from './user-error.js';
import { spawnSync } from 'node:child_process';

export interface AdoptArgs extends TargetArgs {
  consoleSocket: string;
  name?: string | undefined;
  once: boolean;
  closeOnHangup?: string | undefined;
}

export async function adoptCommand(args: AdoptArgs): Promise<number> {
  const socket = path.resolve(args.consoleSocket);
  const name = args.name ?? path.basename(socket).replace(/\.sock$/, '');
  const bad = nameProblem(name);
  if (bad !== undefined) throw new UserError(bad, EX_USAGE);
  const hangup = closeOnHangupOf(args);
  const session = await runningSession(args);
  if (session !== undefined) {
    const client = await ControlClient.connect(session);
    try {
      await client.request({ op: 'adopt', socket, name, once: args.once, ...hangup });
    } finally {
      client.close();
    }
    return 0;
  }
  // No session: start one whose only job (for now) is this socket.
  const run = [...BIN_ARGS, 'run', '-d', '--adopt', `${name}=${socket}`];
  if (args.once) run.push('--once');
  if (args.closeOnHangup !== undefined) run.push(`--close-on-hangup=${args.closeOnHangup}`);
  if (args.socket !== undefined) run.push('-S', args.socket);
  else if (args.session !== undefined) run.push('-L', args.session);
  const r = spawnSync(process.execPath, run, { stdio: 'inherit' });
  return r.status ?? 1;
}

// The session a user means, as for `new`, if it is running: -S/-L or
// $PTYPLEX_SOCKET, else the only one, else default.
async function runningSession(args: TargetArgs): Promise<string | undefined> {
  const given = givenSocket(args);
  if (given !== undefined) return (await probeSocket(given)) === 'live' ? given : undefined;
  return (await allSessions()).length > 0 ? sessionTarget(args) : undefined;
}
