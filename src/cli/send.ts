// `ptyplex send NAME TEXT...`: type into a console. The words are joined by
// spaces; with --keys each word that names a key (C-c, Enter, Up ...) is
// that key instead.
import { keyBytes } from '../session/keys.js';
import { consoleEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';

export interface SendArgs extends HostArgs {
  name: string;
  text: string[];
  keys: boolean;
}

export async function sendCommand(args: SendArgs): Promise<number> {
  const data = args.keys ? args.text.map(keyBytes).join('') : args.text.join(' ');
  const { endpoint, console } = await consoleEndpoint(args.name, args);
  const { client } = await endpoint.ask({ op: 'send', console, data: Buffer.from(data).toString('base64') });
  client.close();
  return 0;
}
