// The control socket's supervision requests: `start` (a console that has
// ended, failed, waits, or has autostart: false) and `restart` (its stop
// script, then a new run of the same console: clients stay attached), and
// what `ls` adds for supervised consoles (state, why, restarts).
import type { ConsoleScript } from '../config/stop-script.js';
import { startProblem, type Session } from '../session/session.js';
import type { SessionConsole } from '../session/session-console.js';
import type { ShutdownReport } from '../session/shutdown.js';
import type { Supervisor } from '../session/supervisor.js';
import type { ConsoleSpec } from '../config/console-spec.js';
import type { ConsoleInfo } from './session-info.js';
import { SessionError } from './session-error.js';

export interface SuperviseOps {
  session: Session;
  supervisor?: Supervisor | undefined;
  scriptsFor(names: string[]): Map<string, ConsoleScript>;
  noConsole(name: string): SessionError;
}

function known(ops: SuperviseOps, name: string): boolean {
  return ops.session.consoles.has(name) || (ops.supervisor?.notStarted().some((s) => s.name === name) ?? false);
}

/** Starts each named console; every name is checked before any starts. */
export function startConsoles(ops: SuperviseOps, names: readonly string[]): void {
  for (const name of names) if (!known(ops, name)) throw ops.noConsole(name);
  for (const name of names) {
    const c = ops.session.consoles.get(name);
    const problem = c === undefined ? undefined : startProblem(c);
    if (problem !== undefined) throw new SessionError(problem);
  }
  for (const name of names) {
    try {
      if (ops.supervisor !== undefined) ops.supervisor.start(name);
      else ops.session.startAgain(name);
    } catch (err) {
      throw new SessionError(`cannot start "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Stops each named console by its script and runs it again; one never started is started. */
export async function restartConsoles(ops: SuperviseOps, names: readonly string[]): Promise<ShutdownReport> {
  for (const name of names) {
    if (!known(ops, name)) throw ops.noConsole(name);
    if (ops.session.consoles.get(name)?.child.pid === null) throw new SessionError(`console "${name}" was adopted: its runtime restarts it, not ptyplex`);
  }
  ops.supervisor?.forgetFailures(names);
  const unstarted = names.filter((n) => !ops.session.consoles.has(n));
  const running = names.filter((n) => ops.session.consoles.has(n));
  const report = running.length > 0 ? await ops.session.restart(ops.scriptsFor(running)) : { consoles: [], ms: 0, timedOut: false };
  for (const name of unstarted) ops.supervisor?.start(name);
  return report;
}

/** What a supervisor knows of c, over what the console itself says. */
export function supervisionOf(ops: SuperviseOps, c: SessionConsole): Pick<ConsoleInfo, 'state' | 'reason' | 'restarts'> {
  const s = ops.supervisor?.describe(c.name);
  return { state: s?.state ?? c.state, reason: s?.reason ?? null, restarts: c.life.restarts };
}

/** ls rows for consoles of the plan that have not run yet. */
export function notStartedInfo(ops: SuperviseOps): ConsoleInfo[] {
  return (ops.supervisor?.notStarted() ?? []).map((spec: ConsoleSpec) => {
    const s = ops.supervisor!.describe(spec.name)!;
    return { name: spec.name, pid: null, state: s.state, reason: s.reason, restarts: 0, exitCode: null, signal: null, cols: null, rows: null, bytesOut: 0, clients: 0, startedAt: null, command: spec.cmd };
  });
}
