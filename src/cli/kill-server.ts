// `ptyplex kill-server`: stop every console of a session (SIGHUP, as a
// closing terminal would, then SIGKILL after the session's kill timeout)
// and return once the server has exited.
import { ControlClient } from '../server/control-client.js';
import { sessionTarget, type TargetArgs } from './target.js';

export async function killServerCommand(args: TargetArgs): Promise<number> {
  const { client } = await ControlClient.ask(await sessionTarget(args), { op: 'kill-server' });
  // The hang-up comes when the server exits, well after its reply.
  if (!client.hungUp) await new Promise<void>((resolve) => client.once('close', () => resolve()));
  return 0;
}
