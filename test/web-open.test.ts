// `ptyplex web --open`, with Debian's chromium: the browser command is
// given file://... of a private redirect file, never the token (a command
// line is readable by every local user in /proc); the page logs in through
// it, and the file is gone once the token is used, or once the gateway
// exits. With no browser to start: one line, and the gateway serves on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, logIn, startWeb, type WebRun } from './helpers/browser.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let browser: Browser;
let dir: string;
const webs: WebRun[] = [];

beforeAll(async () => {
  s = testSessions();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-web-open-'));
  browser = await launchBrowser();
  const r = s.cli(['run', '-d', '--names', 'sh', 'exec sleep 100000']);
  expect(r.status, r.stderr).toBe(0);
}, 30_000);

afterAll(async () => {
  for (const w of webs) w.kill();
  await browser?.close();
  s?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A $BROWSER that only writes down the arguments it was given, one a line, into FILE. */
function recordingBrowser(name: string): { command: string; argv: () => string[] | undefined } {
  const script = path.join(dir, `${name}.sh`);
  const out = path.join(dir, `${name}.argv`);
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > ${out}.tmp && mv ${out}.tmp ${out}\n`, { mode: 0o755 });
  return { command: script, argv: () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').slice(0, -1) : undefined) };
}

async function web(args: string[], env: NodeJS.ProcessEnv): Promise<WebRun> {
  const w = await startWeb(s, args, env);
  webs.push(w);
  return w;
}

/** The --open files in the session directory. */
function openFiles(): string[] {
  const sockets = path.join(s.runtime, 'ptyplex');
  return fs.readdirSync(sockets).filter((f) => /^\.web-.*\.html$/.test(f));
}

describe('ptyplex web --open', () => {
  it('gives the browser a private file, not the token; the page logs in through it; the file is then gone', async () => {
    const b = recordingBrowser('logs-in');
    const w = await web(['--open'], { BROWSER: b.command });
    const argv = await until(() => b.argv(), 'the browser command to run', 10_000);
    // Nothing any local user can read in /proc/PID/cmdline gives the token away.
    expect(argv.join(' ')).not.toContain(w.token);
    expect(argv).toHaveLength(1);
    expect(argv[0]).toMatch(/^file:\/\/\//);
    const file = fileURLToPath(argv[0]!);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file, 'utf8')).toContain(w.token);
    // The real browser, given the same file: it lands on the gateway's page, logged in.
    const page = await browser.newPage();
    await page.goto(argv[0]!);
    await page.locator('#consoles tr[data-console="sh"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${w.base}/`);
    await until(() => !fs.existsSync(file), 'the file removed once its token was used', 5000);
    expect((await logIn(w)).status).toBe(401);
    await page.close();
  });

  it('removes its file when the gateway exits unused', async () => {
    const b = recordingBrowser('unused');
    const w = await web(['--open'], { BROWSER: b.command });
    const argv = await until(() => b.argv(), 'the browser command to run', 10_000);
    const file = fileURLToPath(argv[0]!);
    expect(fs.existsSync(file)).toBe(true);
    w.kill();
    expect((await w.done).status).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('with no browser to start, says so in one line and serves on', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'no-path-'));
    const w = await web(['--open'], { BROWSER: '/nonexistent/browser', PATH: empty });
    await until(() => /cannot open a browser/.test(w.stderr()), 'the line that says so', 10_000);
    const lines = w.stderr().split('\n').filter((l) => /browser/.test(l));
    expect(lines).toEqual(['ptyplex: web: cannot open a browser: no $BROWSER command and no xdg-open found; open the URL above']);
    expect(openFiles()).toEqual([]);
    expect((await logIn(w)).status).toBe(200);
  });
});
