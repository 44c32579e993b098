// `ptyplex start NAME...`: run consoles of a live session again (ended,
// failed, in a backoff wait), or for the first time (autostart: false,
// waiting for a dependency).
import { sessionEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';

export interface StartArgs extends HostArgs {
  names: string[];
}

export async function startCommand(args: StartArgs): Promise<number> {
  const { client } = await (await sessionEndpoint(args)).ask({ op: 'start', consoles: args.names });
  client.close();
  return 0;
}
