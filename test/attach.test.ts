// `ptyplex attach` as a user meets it: the real client in a real terminal
// (a pane of a private tmux server), typed at with tmux send-keys. What is
// checked is what the user would see and be left with: the pane's screen,
// whether it is on the alternate screen, whether the cursor shows, and the
// termios of the pane's terminal (raw while attached, cooked after), also
// when the client or the session server is killed with SIGKILL.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { sleep } from './helpers/pty.js';
import { testSessions, until, type ConsoleJson, type TestSessions } from './helpers/session.js';
import { TmuxServer, alive, childProcesses, type Pane } from './helpers/tmux.js';

const tmux = new TmuxServer(`ptyplex-attach-${process.pid}`);
let s: TestSessions | undefined;
let panes: Pane[] = [];

afterEach(() => {
  // Panes first: their clients get SIGHUP and leave while the server is up.
  for (const p of panes) p.kill();
  panes = [];
  s?.cleanup();
  s = undefined;
});
afterAll(() => tmux.kill());

/** The current test's sessions; a test that has not started one is a bug in the test. */
function sessions(): TestSessions {
  if (s === undefined) throw new Error('no session started');
  return s;
}

/** A detached session (`run -d`) with one console per name. */
function startSession(consoles: Record<string, string>): void {
  s = testSessions();
  const r = s.cli(['run', '-d', '--names', Object.keys(consoles).join(','), ...Object.values(consoles)]);
  expect(r, 'run -d').toMatchObject({ status: 0, stderr: '' });
}

/** A tmux pane of this size running dash, pointed at the test's session directory. */
function newPane(cols: number, rows: number): Pane {
  const pane = tmux.newPane({ cols, rows, env: { XDG_RUNTIME_DIR: sessions().runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  panes.push(pane);
  return pane;
}

/** A console's `ls --json` entry. */
function consoleInfo(name: string): ConsoleJson {
  const c = sessions().describe().consoles.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no console ${name}`);
  return c;
}

/** Polls `ls --json` until the console's entry has these values; fails with the last entry seen. */
async function consoleBecomes(name: string, want: Partial<ConsoleJson>, what: string): Promise<ConsoleJson> {
  let last: ConsoleJson | undefined;
  try {
    return await until(() => {
      const c = consoleInfo(name);
      last = c;
      return Object.entries(want).every(([k, v]) => c[k as keyof ConsoleJson] === v) && c;
    }, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; ls shows ${JSON.stringify(last)}`);
  }
}

/**
 * Looks at the console's `ls --json` entry for `ms` (at least five looks):
 * it must match every time. For what must NOT happen (a resize that should
 * not apply), where there is nothing to wait for: a window of several
 * samples, not one look after a fixed nap.
 */
async function consoleStays(name: string, want: Partial<ConsoleJson>, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let looks = 0; looks < 5 || Date.now() < deadline; looks++) {
    expect(consoleInfo(name), `${what} (look ${looks + 1})`).toMatchObject(want);
    await sleep(100);
  }
}

/** One word for the pane's shell, single-quoted. */
const q = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** What the console's shell (sh, as root or not; dash "# ", bash as sh "sh-5.2# ") prompts with. */
const PROMPT = '\\S*[#$] ';

/**
 * Types `ptyplex attach NAME ARGS` into the pane's shell and waits until the
 * server counts the client and the pane's terminal is raw: from then on,
 * keys typed reach the client, not the pane's shell.
 */
async function attachIn(pane: Pane, consoleName: string, opts: { args?: string[]; clients: number }): Promise<void> {
  pane.line([process.execPath, BIN, 'attach', consoleName, ...(opts.args ?? [])].map(q).join(' '));
  await consoleBecomes(consoleName, { clients: opts.clients }, `${opts.clients} client(s) on ${consoleName}`);
  await until(() => !pane.lineMode().icanon, `raw mode in ${pane.target}`);
}

/** The exit status of the pane shell's last command (attach, once it has left). */
async function lastStatus(pane: Pane): Promise<number> {
  // The typed line shows "status=$?."; only the shell's answers have digits.
  const answers = (): number[] => [...pane.screen().matchAll(/^status=(\d+)\.$/gm)].map((m) => Number(m[1]));
  const before = answers().length;
  pane.line('echo "status=$?."');
  const all = await until(() => {
    const seen = answers();
    return seen.length > before && seen;
  }, `the shell in ${pane.target} to answer with the status`);
  return all[all.length - 1]!;
}

/** Waits until the pane's terminal is cooked again, as its shell had it. */
async function cooked(pane: Pane): Promise<void> {
  await until(() => {
    const m = pane.lineMode();
    return m.icanon && m.echo && m.isig;
  }, `cooked mode (icanon echo isig) in ${pane.target}`);
}

/** The whole output the console's ring buffer holds. */
function held(name: string): string {
  const r = sessions().cli(['tee', name, '--no-follow']);
  expect(r.status, `tee ${name}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Makes the console (sh) switch to the alternate screen, hide the cursor, write a line and stay there. */
function enterAlternateScreen(consoleName: string): void {
  const r = sessions().cli(['send', consoleName, "printf '\\033[?1049h\\033[?25lALT-SCREEN-%s' 42; sleep 600\n"]);
  expect(r.status, r.stderr).toBe(0);
  expect(sessions().cli(['expect', consoleName, 'ALT-SCREEN-\\d+'])).toMatchObject({ status: 0, stdout: 'ALT-SCREEN-42\n' });
}

/**
 * A pane attached to a shell console that is on the alternate screen with
 * the cursor hidden, its terminal raw: the state a killed client or server
 * must not leave behind.
 */
async function attachedOnAlternateScreen(): Promise<Pane> {
  startSession({ sh: 'sh' });
  enterAlternateScreen('sh');
  const pane = newPane(100, 30);
  await attachIn(pane, 'sh', { clients: 1 });
  await pane.waitState((st) => st.alternate && !st.cursorVisible, 'alternate screen, cursor hidden');
  expect(pane.lineMode()).toEqual({ icanon: false, echo: false, isig: false });
  return pane;
}

describe('ptyplex attach in a real terminal', () => {
  it('detaches with ctrl-p ctrl-q, giving the terminal back cooked; a second attach replays what the console showed', async () => {
    startSession({ sh: 'sh' });
    const pane = newPane(100, 30);
    await attachIn(pane, 'sh', { clients: 1 });
    pane.line('echo one-$((40+2))');
    // The echoed command shows "one-$((40+2))": only the shell's answer is one-42.
    await pane.waitFor(/^one-42$/m);
    const [client] = pane.children(' attach ');
    const watchers = childProcesses(client!, 'restore-guard.js');
    expect(watchers, 'the restore-guard watcher').toHaveLength(1);

    // Two presses, two writes: the client holds ctrl-p until it sees what follows.
    pane.keys('C-p');
    await sleep(100);
    pane.keys('C-q');
    await pane.waitFor(/^\[detached from sh\]$/m);
    await consoleBecomes('sh', { clients: 0, state: 'running' }, 'the client to leave');
    await cooked(pane);
    expect(await lastStatus(pane)).toBe(0);
    // Told "done", the watcher leaves with the client: none piles up per attach.
    await until(() => !alive(watchers[0]!), 'the restore-guard watcher to exit');

    pane.clear();
    expect(pane.screen()).not.toMatch(/one-42/);
    await attachIn(pane, 'sh', { clients: 1 });
    const replayed = await pane.waitFor(/^one-42$/m);
    expect(replayed).toMatch(/echo one-\$\(\(40\+2\)\)\n+one-42\n/);
    // Still the same shell, still answering.
    pane.line('echo two-$((40+3))');
    await pane.waitFor(/^two-43$/m);
  });

  it('a detach key not followed by the rest is passed on to the console; --detach-keys "" never detaches', async () => {
    // Echo off, so what the console shows is what cat -v got; -ixon, so ctrl-q is a byte, not flow control.
    startSession({ cat: 'stty -echo -ixon; echo cat-ready; exec cat -v' });
    expect(sessions().cli(['expect', 'cat', 'cat-ready']).status).toBe(0);
    const pane = newPane(100, 30);
    await attachIn(pane, 'cat', { clients: 1 });

    pane.keys('C-p', 'z', 'Enter');
    await pane.waitFor(/^\^Pz$/m);
    // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes to the console, the next two detach.
    pane.keys('C-p', 'C-p', 'C-q');
    await pane.waitFor(/^\[detached from cat\]$/m);
    await cooked(pane);

    await attachIn(pane, 'cat', { args: ['--detach-keys', ''], clients: 1 });
    // The passed-on ctrl-p waits in cat's line; this finishes the line.
    pane.keys('y', 'Enter');
    await pane.waitFor(/^\^Py$/m);
    pane.keys('C-p', 'C-q', 'Enter');
    await pane.waitFor(/^\^P\^Q$/m);
    expect(consoleInfo('cat')).toMatchObject({ state: 'running', clients: 1 });
    expect(held('cat')).toBe('cat-ready\r\n^Pz\r\n^Py\r\n^P^Q\r\n');

    // ctrl-d ends cat: the client reports the end and exits with its status.
    pane.keys('C-d');
    await pane.waitFor(/^\[cat exited with code 0\]$/m);
    await cooked(pane);
    expect(await lastStatus(pane)).toBe(0);
  });

  it("two clients typing into one console: each sees the other's input and the output, even within one line", async () => {
    startSession({ sh: 'sh' });
    const a = newPane(100, 30);
    const b = newPane(100, 30);
    await attachIn(a, 'sh', { clients: 1 });
    await attachIn(b, 'sh', { clients: 2 });

    a.line('echo from-a-$((1+1))');
    await a.waitFor(/^from-a-2$/m);
    await b.waitFor(new RegExp(`^${PROMPT}echo from-a-\\$\\(\\(1\\+1\\)\\)\\nfrom-a-2$`, 'm'));

    b.line('echo from-b-$((2+2))');
    await b.waitFor(/^from-b-4$/m);
    await a.waitFor(new RegExp(`^${PROMPT}echo from-b-\\$\\(\\(2\\+2\\)\\)\\nfrom-b-4$`, 'm'));

    // One command line typed half by each: a starts it, b finishes it.
    a.type('echo mix');
    await b.waitFor(new RegExp(`^${PROMPT}echo mix$`, 'm'));
    b.line('ed-$((3*3))');
    for (const p of [a, b]) await p.waitFor(new RegExp(`^${PROMPT}echo mixed-\\$\\(\\(3\\*3\\)\\)\\nmixed-9$`, 'm'));
  });

  it('a read-only client watches: its keys do not reach the console, it does not set the size, and ctrl-c detaches it', async () => {
    startSession({ sh: 'sh' });
    const writer = newPane(100, 30);
    const watcher = newPane(120, 40);
    await attachIn(writer, 'sh', { clients: 1 });
    await attachIn(watcher, 'sh', { args: ['--read-only'], clients: 2 });
    expect(consoleInfo('sh')).toMatchObject({ cols: 100, rows: 30 });

    watcher.line('echo ro-$((5+5))');
    writer.line('echo rw-$((3+4))');
    for (const p of [writer, watcher]) await p.waitFor(/^rw-7$/m);
    for (const p of [writer, watcher]) expect(p.screen()).not.toMatch(/ro-/);
    expect(held('sh')).not.toMatch(/ro-/);
    // Typing did not make the watcher the writer whose size counts.
    expect(consoleInfo('sh')).toMatchObject({ cols: 100, rows: 30 });

    // Nor does resizing its terminal. (No visible effect to wait for: look
    // several times over a while.)
    watcher.resize(130, 45);
    await until(() => watcher.state().cols === 130, 'the watcher pane to be 130 wide');
    await consoleStays('sh', { cols: 100, rows: 30 }, "the read-only client's resize not applied");

    const before = consoleInfo('sh').bytesOut;
    watcher.keys('C-c');
    await watcher.waitFor(/^\[detached from sh\]$/m);
    await cooked(watcher);
    expect(await lastStatus(watcher)).toBe(0);
    await consoleBecomes('sh', { clients: 1 }, 'the watcher to leave');
    // The ctrl-c did not reach the shell (it would have printed a new prompt).
    expect(consoleInfo('sh')).toMatchObject({ bytesOut: before, cols: 100, rows: 30 });
  });

  it('the console takes the size of the writer that was active last, and falls back to the other writer when that one detaches', async () => {
    startSession({ sh: 'sh' });
    const a = newPane(100, 30);
    const b = newPane(120, 40);
    expect(consoleInfo('sh')).toMatchObject({ cols: 80, rows: 24 });
    await attachIn(a, 'sh', { clients: 1 });
    await consoleBecomes('sh', { cols: 100, rows: 30 }, "a's size on attach");
    await attachIn(b, 'sh', { clients: 2 });
    await consoleBecomes('sh', { cols: 120, rows: 40 }, "b's size on attach");

    // The shell itself sees the size (stty size: rows cols).
    a.line('stty size');
    await a.waitFor(/^30 100$/m);
    expect(consoleInfo('sh')).toMatchObject({ cols: 100, rows: 30 });
    b.line('stty size');
    await b.waitFor(/^40 120$/m);
    expect(consoleInfo('sh')).toMatchObject({ cols: 120, rows: 40 });

    // b is the latest writer: its terminal's resize resizes the console ...
    b.resize(110, 35);
    await consoleBecomes('sh', { cols: 110, rows: 35 }, "b's new size");
    // ... a's does not, until a types.
    a.resize(90, 25);
    await until(() => a.state().cols === 90, 'pane a to be 90 wide');
    await consoleStays('sh', { cols: 110, rows: 35 }, "a's resize not applied before a types");
    a.line('stty size');
    await a.waitFor(/^25 90$/m);
    expect(consoleInfo('sh')).toMatchObject({ cols: 90, rows: 25 });

    a.keys('C-p', 'C-q');
    await a.waitFor(/^\[detached from sh\]$/m);
    await consoleBecomes('sh', { clients: 1, cols: 110, rows: 35 }, 'the size to fall back to b');
    b.line('stty size');
    await b.waitFor(/^35 110$/m);
  });

  it('a client attaching to a console on the alternate screen shows that screen; detaching returns to the main screen with the cursor shown', async () => {
    startSession({ sh: 'sh' });
    enterAlternateScreen('sh');
    const pane = newPane(100, 30);
    pane.line('echo main-screen-mark');
    await pane.waitFor(/^main-screen-mark$/m);
    await attachIn(pane, 'sh', { clients: 1 });

    const on = await pane.waitState((st) => st.alternate, 'the pane on the alternate screen');
    expect(on.cursorVisible).toBe(false);
    const alt = await pane.waitFor(/ALT-SCREEN-42/);
    // Only the alternate screen shows: not the command line that drew it, not the pane's own lines.
    expect(alt).not.toMatch(/printf|main-screen-mark/);

    pane.keys('C-p', 'C-q');
    const off = await pane.waitState((st) => !st.alternate, 'the pane back on the main screen');
    expect(off.cursorVisible).toBe(true);
    const main = await pane.waitFor(/^\[detached from sh\]$/m);
    // The main screen as it was, plus what the console drew there (the
    // command line it echoed), but none of the alternate screen's text.
    expect(main).toMatch(/^main-screen-mark$/m);
    expect(main).not.toMatch(/ALT-SCREEN-42/);
    await cooked(pane);
  });

  it('a client killed with SIGKILL still leaves the terminal restored: main screen, cursor shown, cooked, the shell usable', async () => {
    const pane = await attachedOnAlternateScreen();

    const clients = pane.children(' attach ');
    expect(clients, "the attach client, a child of the pane's shell").toHaveLength(1);
    const client = clients[0]!;
    // The watcher that restores the terminal when the client cannot.
    const watchers = childProcesses(client, 'restore-guard.js');
    expect(watchers, 'the restore-guard watcher').toHaveLength(1);
    process.kill(client, 'SIGKILL');

    await pane.waitState((st) => !st.alternate && st.cursorVisible, 'main screen and cursor shown after SIGKILL');
    await cooked(pane);
    pane.line('echo after-$((6*7))');
    await pane.waitFor(/^after-42$/m);
    // Its work done, the watcher is gone too.
    await until(() => !alive(watchers[0]!), 'the restore-guard watcher to exit');
    // The session noticed no more than a client leaving.
    await consoleBecomes('sh', { clients: 0, state: 'running' }, 'the killed client to be dropped');
  });

  it('a client ended by SIGTERM leaves like a detach: terminal restored, session untouched, no claim that the server was lost', async () => {
    startSession({ sh: 'sh' });
    const pane = newPane(100, 30);
    await attachIn(pane, 'sh', { clients: 1 });
    const [client] = pane.children(' attach ');
    expect(client, 'the attach client').toBeDefined();
    process.kill(client!, 'SIGTERM');

    const screen = await pane.waitFor(/^\[(detached from sh|lost the session server)\]$/m);
    await cooked(pane);
    // The server is alive and still serving the console ...
    await consoleBecomes('sh', { clients: 0, state: 'running' }, 'the client to leave');
    // ... so the client must not tell the user it lost it.
    expect(screen).not.toMatch(/lost the session server/);
    expect(screen).toMatch(/^\[detached from sh\]$/m);
  });

  it('a client whose session server is killed with SIGKILL says so, exits 1 and restores the terminal', async () => {
    const pane = await attachedOnAlternateScreen();

    const server = sessions().describe().pid;
    process.kill(server, 'SIGKILL');
    await until(() => !alive(server), 'the server to die');

    await pane.waitFor(/^\[lost the session server\]$/m);
    expect(pane.state()).toMatchObject({ alternate: false, cursorVisible: true });
    await cooked(pane);
    expect(await lastStatus(pane)).toBe(1);
    expect(pane.children(' attach ')).toEqual([]);
  });
});
