// `ptyplex start NAME...`: run consoles of a live session again (ended,
// failed, in a backoff wait), or for the first time (autostart: false,
// waiting for a dependency).
import { ControlClient } from '../server/control-client.js';
import { sessionTarget, type TargetArgs } from './target.js';

export interface StartArgs extends TargetArgs {
  names: string[];
}

export async function startCommand(args: StartArgs): Promise<number> {
  const { client } = await ControlClient.ask(await sessionTarget(args), { op: 'start', consoles: args.names });
  client.close();
  return 0;
}
