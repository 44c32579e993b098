// `ptyplex upgrade`: the session's server replaces its program with the
// ptyplex installed now, keeping every console (see server/upgrade.ts).
// The server answers only if it could not (one line: why, and it still
// serves as before); on success its connection closes as the program is
// replaced, and this waits for the new program to answer and says so.
import { UpgradingError, whileUpgrading } from '../server/control-client.js';
import { SessionError } from '../server/session-error.js';
import type { SessionInfo } from '../server/session-info.js';
import { describeEndpoint, sessionEndpoint, type Endpoint } from './endpoint.js';
import type { HostArgs } from './hosts.js';

/** How long the new program may take to answer. */
const ANSWER_MS = 15_000;

export async function upgradeCommand(args: HostArgs): Promise<number> {
  const endpoint = await sessionEndpoint(args);
  const before = await describeEndpoint(endpoint);
  // Answered only by a refusal; the exec closes the connection instead.
  // Another upgrade under way: this one waits for it, then upgrades again.
  await whileUpgrading(async () => {
    const client = await endpoint.connect();
    try {
      await client.request({ op: 'upgrade' });
    } catch (err) {
      if (!client.hungUp || err instanceof UpgradingError) throw err;
    }
  });
  const after = await answer(endpoint, before);
  process.stdout.write(`upgraded session "${after.name}": server pid ${after.server.pid}, ptyplex ${after.server.version}, generation ${after.server.generation}\n`);
  return 0;
}

// Asks until a server of a later generation answers (the same pid).
async function answer(endpoint: Endpoint, before: SessionInfo): Promise<SessionInfo> {
  const deadline = Date.now() + ANSWER_MS;
  let last = 'no answer';
  for (;;) {
    try {
      const info = await describeEndpoint(endpoint);
      if (info.server.generation > before.server.generation) return info;
      last = `still generation ${info.server.generation}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new SessionError(`the upgraded server did not answer within ${ANSWER_MS / 1000}s (${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
