// A hostile outside review of the newest parts (posix_spawn consoles, the
// upgrade, the output path): each test is one fault found, failing before
// its fix. Real processes, sockets and another uid (nobody).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOBODY } from './helpers/as-nobody.js';
import { testSessions } from './helpers/session.js';

const s = testSessions();
// A shared sticky directory, as /tmp is: anyone may create, only owners remove.
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-'));
fs.chmodSync(shared, 0o1777);
afterAll(() => {
  s.cleanup();
  // A server a failing test left hanging on a socket in the shared directory.
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(shared)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  fs.rmSync(shared, { recursive: true, force: true });
});

/** Runs a command as nobody; throws if it could not. */
function asNobody(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} as nobody: ${r.stderr}`);
}

describe('review: the upgrade mark next to a -S socket', () => {
  it('another user\'s entry at SOCKET.upgrading neither stops the server from starting nor breaks it after an upgrade', () => {
    const sock = path.join(shared, 'mark.sock');
    // Planted before the server starts: a directory, which nobody but its owner removes.
    asNobody('mkdir', [`${sock}.upgrading`]);
    const run = s.cli(['run', '-d', '-S', sock, '--names', 'a', 'sleep 300'], { timeout: 20_000 });
    expect(run).toMatchObject({ status: 0, stderr: '' });
    const up = s.cli(['upgrade', '-S', sock], { timeout: 30_000 });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    // The resumed server is whole: it stops when asked, and logged no internal error.
    const kill = s.cli(['kill-server', '-S', sock], { timeout: 15_000 });
    expect(kill).toMatchObject({ status: 0, stderr: '' });
    expect(fs.readFileSync(`${sock}.log`, 'utf8')).not.toMatch(/internal error/);
    // The planted entry is not ours: it is left alone.
    expect(fs.statSync(`${sock}.upgrading`).isDirectory()).toBe(true);
  }, 60_000);
});
