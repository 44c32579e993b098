// Clients through an upgrade, as users and scripts meet it: `ptyplex
// attach` in a real terminal (a tmux pane) keeps working across the switch
// and leaves the terminal as it was; every key typed before, during and
// after the switch reaches the console exactly once; commands that arrive
// during the switch (send, ls, expect) wait for the new program instead of
// failing. The server's check of the new program is slowed to 2 s (see
// helpers/slow-check.mjs), so "during the switch" is a window the test can
// see and act in, not a race it hopes to win.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { sleep } from './helpers/pty.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { TmuxServer, type Pane } from './helpers/tmux.js';
import { checking, slowCheckEnv } from './helpers/upgrade.js';

const tmux = new TmuxServer(`ptyplex-upgrade-${process.pid}`);
let s: TestSessions | undefined;
let panes: Pane[] = [];
const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-upgrade-clients-'));

afterEach(() => {
  for (const p of panes) p.kill();
  panes = [];
  s?.cleanup();
  s = undefined;
});
afterAll(() => {
  tmux.kill();
  fs.rmSync(logs, { recursive: true, force: true });
});

/** A detached session whose upgrade check takes 2 s: one console, `cat` with echo off (each line typed comes back once). */
function catSession(): TestSessions {
  s = testSessions();
  const r = spawnSync(process.execPath, [BIN, 'run', '-d', '--log-dir', logs, '--names', 'cat', 'stty -echo; echo cat-ready; exec cat'], { env: slowCheckEnv(s.env), encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(s.cli(['expect', 'cat', 'cat-ready']).status).toBe(0);
  return s;
}

const q = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** The k<n> lines cat echoed into its log, as numbers, in order. */
function keyLines(): number[] {
  return [...fs.readFileSync(path.join(logs, 'cat.log'), 'utf8').matchAll(/^k(\d+)\r?$/gm)].map((m) => Number(m[1]));
}

describe('clients through ptyplex upgrade', () => {
  it('attach in a real terminal keeps working across an upgrade: every key typed before, during and after the switch reaches the console once, and the terminal is given back cooked', async () => {
    const sessions = catSession();
    const server = sessions.describe().server.pid;
    const pane = tmux.newPane({ cols: 100, rows: 30, env: { XDG_RUNTIME_DIR: sessions.runtime, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    panes.push(pane);
    pane.line([process.execPath, BIN, 'attach', 'cat'].map(q).join(' '));
    await until(() => sessions.describe().consoles[0]!.clients === 1 && !pane.lineMode().icanon, 'attach to be raw and counted');

    const upgrade = sessions.start(['upgrade']);
    let typed = 0;
    let duringSwitch = 0;
    let upgraded: Awaited<typeof upgrade.done> | undefined;
    void upgrade.done.then((r) => (upgraded = r));
    // A line every few ms until the upgrade is over, then five more.
    for (let after = 0; after < 5; ) {
      pane.line(`k${++typed}`);
      if (checking(server)) duringSwitch++;
      if (upgraded !== undefined) after++;
      await sleep(20);
    }
    expect(upgraded!.stderr).toBe('');
    expect(upgraded!.status).toBe(0);
    expect(upgraded!.stdout).toMatch(/generation 1$/m);
    // The window was met: keys were typed while the old program was going.
    expect(duringSwitch).toBeGreaterThanOrEqual(3);

    const all = Array.from({ length: typed }, (_, i) => i + 1);
    await until(() => keyLines().length >= typed, `cat to echo all ${typed} lines`).catch(() => undefined);
    expect(keyLines()).toEqual(all);
    // The same client, still attached, sees what it types.
    pane.line('still-here');
    await pane.waitFor(/^still-here$/m);
    expect(pane.screen()).not.toMatch(/\[ptyplex:/);

    pane.keys('C-p');
    await sleep(100);
    pane.keys('C-q');
    await pane.waitFor(/^\[detached from cat\]$/m);
    await until(() => {
      const m = pane.lineMode();
      return m.icanon && m.echo && m.isig;
    }, 'the pane cooked again');
  }, 60_000);

  it('send, ls and expect that meet the switch wait for the new program: none fails, the text arrives once', async () => {
    const sessions = catSession();
    const server = sessions.describe().server.pid;
    const waiting = sessions.start(['expect', 'cat', 'after-\\d+', '--timeout', '30s']);
    await until(() => sessions.describe().consoles[0]!.clients === 0 && fs.readFileSync(path.join(logs, 'cat.log'), 'utf8').includes('cat-ready'), 'the log');
    const upgrade = sessions.start(['upgrade']);
    await until(() => checking(server), 'the upgrade check to run', 20_000);
    const send = sessions.cli(['send', 'cat', 'during-1\n']);
    const ls = sessions.cli(['ls', '--json']);
    expect(send.stderr).toBe('');
    expect(send.status).toBe(0);
    expect(ls.stderr).toBe('');
    expect(ls.status).toBe(0);
    expect((await upgrade.done).status).toBe(0);
    expect(sessions.describe().server.generation).toBe(1);
    expect(sessions.cli(['send', 'cat', 'after-2\n']).status).toBe(0);
    const found = await waiting.done;
    expect(found.stderr).toBe('');
    expect(found).toMatchObject({ status: 0, stdout: 'after-2\n' });
    const log = fs.readFileSync(path.join(logs, 'cat.log'), 'utf8');
    expect(log.match(/during-1/g)).toHaveLength(1);
  }, 60_000);
});
