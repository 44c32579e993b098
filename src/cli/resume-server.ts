// The second half of an upgrade, in the new program: take back what the
// previous program of this server handed over (see server/upgrade.ts):
// every console from its inherited master (the same child, the same pid),
// its output so far and counters; the control socket and console sockets
// from their listening fds and locks; what the supervisor knew.
import type { ConsoleSpec } from '../config/console-spec.js';
import type { Adoption } from '../server/adoption.js';
import type { ControlServer } from '../server/control-server.js';
import type { UpgradeState } from '../server/upgrade-state.js';
import type { Session } from '../session/session.js';
import type { Sink } from '../session/sinks/sink.js';
import type { Supervisor } from '../session/supervisor.js';

export interface ResumeParts {
  session: Session;
  server: ControlServer;
  adoption: Adoption;
  supervisor: Supervisor;
  sinksFor(spec: ConsoleSpec): Sink[];
  log(line: string): void;
}

export async function resumeServer(state: UpgradeState, p: ResumeParts): Promise<void> {
  p.session.ends.push(...state.ends);
  for (const c of state.consoles) p.session.resume(c, p.sinksFor(c.spec), state.ends);
  p.supervisor.restore(state.supervisor);
  // Consoles first: a client that reconnects at once finds them.
  await p.server.resume(state.control.fd, state.control.socket);
  for (const a of state.adoptions) await p.adoption.listen(a.req, a.listener);
  if (state.subreaper) p.adoption.reapOrphans();
}
