// Where a new session's server listens: -S PATH, -L NAME, or the first free
// of default, default-2, default-3 ... so two `ptyplex run` in two
// terminals both work.
import path from 'node:path';
import { SessionError } from '../server/session-error.js';
import { ensureSocketDir, sessionSocket, socketDir } from '../server/socket-dir.js';
import { probeSocket } from '../server/socket-file.js';
import { DEFAULT_SESSION, type TargetArgs } from './target.js';

export async function serverSocket(args: TargetArgs): Promise<string> {
  if (args.socket !== undefined) return path.resolve(args.socket);
  const dir = socketDir();
  ensureSocketDir(dir);
  if (args.session !== undefined) return sessionSocket(dir, args.session);
  for (let n = 1; n < 1000; n++) {
    const file = sessionSocket(dir, n === 1 ? DEFAULT_SESSION : `${DEFAULT_SESSION}-${n}`);
    if ((await probeSocket(file)) !== 'live') return file;
  }
  throw new SessionError(`no free session name in ${dir}`);
}
