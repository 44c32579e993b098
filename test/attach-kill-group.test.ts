// Issue 19.5: the restore watcher of `ptyplex attach` lives in a session of
// its own, so a SIGKILL to the client's whole process group (what a shell's
// `kill -9 %1`, or a supervisor ending a job, sends) does not take it along:
// the terminal is still restored. attach.test.ts kills the client's pid only.
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { TmuxServer, alive, childProcesses, type Pane } from './helpers/tmux.js';

const tmux = new TmuxServer(`ptyplex-killpg-${process.pid}`);
let s: TestSessions | undefined;
let pane: Pane | undefined;
afterEach(() => {
  pane?.kill();
  s?.cleanup();
});
afterAll(() => tmux.kill());

/** A process's group id, from /proc. */
function pgid(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('ptyplex attach killed by process group', () => {
  it('19.5 kill -KILL -- -PGID of the client: the watcher survives and restores the terminal', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'sh', 'sh'])).toMatchObject({ status: 0, stderr: '' });
    expect(s.cli(['send', 'sh', "printf '\\033[?1049h\\033[?25lALT-%s' 42; sleep 600\n"]).status).toBe(0);
    expect(s.cli(['expect', 'sh', 'ALT-\\d+']).status).toBe(0);
    pane = tmux.newPane({ cols: 100, rows: 30, env: { XDG_RUNTIME_DIR: s.runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    pane.line(`'${process.execPath}' '${BIN}' attach sh`);
    await pane.waitState((st) => st.alternate && !st.cursorVisible, 'attached: alternate screen, cursor hidden');
    await until(() => !pane!.lineMode().icanon, 'raw mode');

    const [client] = pane.children(' attach ');
    expect(client, 'the attach client').toBeDefined();
    const [watcher] = childProcesses(client!, 'restore-guard.js');
    expect(watcher, 'the restore-guard watcher').toBeDefined();
    const group = pgid(client!);
    // The shell's job: its own group, not the pane shell's.
    expect(group).not.toBe(pgid(pane.state().pid));
    process.kill(-group, 'SIGKILL');

    await pane.waitState((st) => !st.alternate && st.cursorVisible, 'main screen and cursor shown after the group was killed');
    await until(() => {
      const m = pane!.lineMode();
      return m.icanon && m.echo && m.isig;
    }, 'cooked mode again');
    await until(() => !alive(watcher!), 'the watcher to exit, its work done');
  });
});
