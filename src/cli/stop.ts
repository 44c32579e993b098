// `ptyplex stop [NAME...]`: run the stop scripts of a live session's
// consoles (theirs from ptyplex.yaml, or --script FILE's), in order, and
// print how each ended. A bad script is refused, with its file and line,
// before anything is stopped.
import fs from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { parseScriptFile } from '../config/config-yaml.js';
import { signalName } from '../session/exit-status.js';
import type { ConsoleReport, ShutdownReport } from '../session/shutdown.js';
import type { ScriptJson } from '../config/stop-script.js';
import { table } from './table.js';
import { parseDuration } from './duration.js';
import { describeEndpoint, sessionEndpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';
import { EX_DATAERR, EX_NOINPUT, UserError, errorCode } from './user-error.js';

export interface StopArgs extends HostArgs {
  names: string[];
  script?: string | undefined;
  timeout: string;
  json: boolean;
}

export async function stopCommand(args: StopArgs): Promise<number> {
  const timeout = parseDuration(args.timeout, 'timeout');
  const endpoint = await sessionEndpoint(args);
  const session = await describeEndpoint(endpoint);
  const have = new Set(session.consoles.map((c) => c.name));
  for (const name of args.names) {
    if (!have.has(name)) throw new UserError(`no console "${name}" in session "${session.name}" (it has: ${[...have].join(', ')})`, 1);
  }
  const scripts = args.script !== undefined ? readScripts(args.script, have, session.name) : {};
  const { client, reply } = await endpoint.ask({ op: 'stop', ...(args.names.length > 0 && { consoles: args.names }), scripts, timeout });
  client.close();
  const report = reply.report as ShutdownReport;
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : reportTable(report));
  return 0;
}

// Parsed here, so every mistake is reported with its line before the
// session is asked to do anything.
function readScripts(file: string, have: ReadonlySet<string>, session: string): Record<string, ScriptJson> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${errorCode(err)}`, EX_NOINPUT);
  }
  let parsed: ReturnType<typeof parseScriptFile>;
  try {
    parsed = parseScriptFile(text, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(err.message, EX_DATAERR);
    throw err;
  }
  const scripts: Record<string, ScriptJson> = {};
  for (const spec of parsed.specs) {
    for (const name of [spec.name, ...(spec.stopAfter ?? []), ...(spec.dependsOn ?? [])]) {
      if (!have.has(name)) throw new UserError(new ConfigError(file, parsed.lineOf(spec.name), `no console "${name}" in session "${session}"`).message, EX_DATAERR);
    }
    scripts[spec.name] = {
      ...(spec.stop !== undefined && { stop: spec.stop }),
      ...(spec.stopAfter !== undefined && { stopAfter: spec.stopAfter }),
      ...(spec.dependsOn !== undefined && { dependsOn: spec.dependsOn }),
    };
  }
  return scripts;
}

/** The stop report as a table (also what `restart` prints). */
export function reportTable(report: ShutdownReport): string {
  const rows = [['CONSOLE', 'ENDED', 'BY', 'AFTER', 'STEPS']];
  for (const c of report.consoles) {
    rows.push([c.name, endText(c), c.endedBy || '-', `${(c.ms / 1000).toFixed(1)}s`, c.steps.map((s) => `${s.step}: ${s.outcome} ${s.ms}ms`).join('; ') || '-']);
  }
  const cut = report.timedOut ? `(the --timeout cut the scripts short after ${(report.ms / 1000).toFixed(1)}s)\n` : '';
  return table(rows) + cut;
}

function endText(c: ConsoleReport): string {
  if (c.ended === 'already ended') return 'already ended';
  if (c.ended === 'killed') return `killed by ${signalName(c.signal ?? 0)}`;
  if (c.ended === 'closed') return 'closed';
  return `exited ${c.exitCode}`;
}
