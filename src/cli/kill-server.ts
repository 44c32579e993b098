// `ptyplex kill-server`: stop every console of a session (SIGHUP, as a
// closing terminal would, then SIGKILL after the session's kill timeout)
// and return once the server has exited.
import { sessionEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';

export async function killServerCommand(args: HostArgs): Promise<number> {
  const { client } = await (await sessionEndpoint(args)).ask({ op: 'kill-server' });
  // The hang-up comes when the server exits, well after its reply.
  if (!client.hungUp) await new Promise<void>((resolve) => client.once('close', () => resolve()));
  return 0;
}
