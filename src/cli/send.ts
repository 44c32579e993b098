// `ptyplex send NAME TEXT...`: type into a console. The words are joined by
// spaces; with --keys each word that names a key (C-c, Enter, Up ...) is
// that key instead.
import { ControlClient } from '../server/control-client.js';
import { keyBytes } from '../session/keys.js';
import { consoleTarget, type TargetArgs } from './target.js';

export interface SendArgs extends TargetArgs {
  name: string;
  text: string[];
  keys: boolean;
}

export async function sendCommand(args: SendArgs): Promise<number> {
  const data = args.keys ? args.text.map(keyBytes).join('') : args.text.join(' ');
  const { client } = await ControlClient.ask(await consoleTarget(args.name, args), { op: 'send', console: args.name, data: Buffer.from(data).toString('base64') });
  client.close();
  return 0;
}
