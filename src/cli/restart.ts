// `ptyplex restart NAME...`: each console's stop script, then a new run of
// the same console: its log goes on after a marker line, attached clients
// stay attached. Prints how each run ended, as `stop` does.
import type { ShutdownReport } from '../session/shutdown.js';
import { reportTable } from './stop.js';
import { sessionEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';

export interface RestartArgs extends HostArgs {
  names: string[];
  json: boolean;
}

export async function restartCommand(args: RestartArgs): Promise<number> {
  const { client, reply } = await (await sessionEndpoint(args)).ask({ op: 'restart', consoles: args.names });
  client.close();
  const report = reply.report as ShutdownReport;
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.consoles.length > 0) process.stdout.write(reportTable(report));
  return 0;
}
