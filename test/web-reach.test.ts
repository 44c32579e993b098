// ptyplex web beyond one server program on this machine, in Debian's
// chromium: a page following a console through `ptyplex upgrade` keeps its
// terminal (output resumes from the byte it had, nothing twice, nothing
// lost; nobody says the session ended), and `ptyplex web -H ssh://...`
// against the test sshd shows a remote console, checks Host and cookie as
// it does here, and ends when the remote session does. The server's upgrade
// check is slowed to 2 s (helpers/slow-check.mjs) so the page's list asks
// the session while it is upgrading, whatever the machine's speed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startWeb, type WebRun } from './helpers/browser.js';
import { BIN } from './helpers/cli.js';
import { testSessions, type TestSessions } from './helpers/session.js';
import { startSshd, type Sshd } from './helpers/sshd.js';
import { slowCheckEnv } from './helpers/upgrade.js';

let s: TestSessions;
let browser: Browser;
let sshd: Sshd | undefined;
const cleanups: (() => void)[] = [];
const webs: WebRun[] = [];

beforeAll(async () => {
  s = testSessions();
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  for (const w of webs) w.kill();
  await browser?.close();
  for (const c of cleanups) c();
  s?.cleanup();
  sshd?.stop();
});

function screen(page: Page): Promise<string> {
  return page.locator('#term .xterm-rows').innerText();
}

async function openConsole(page: Page, name: string): Promise<void> {
  await page.locator(`#consoles tr[data-console="${name}"]`).click();
  await page.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
}

/** The n-<i> counter lines in text, as numbers, in order. */
function counts(text: string): number[] {
  return [...text.matchAll(/n-(\d+)\r\n/g)].map((m) => Number(m[1]));
}

/** What a console WebSocket opened by hand in the page has received: every byte, every message, whether it closed. */
interface Raw {
  text: string;
  messages: string[];
  closed: number | null;
}

declare global {
  interface Window {
    raw?: Raw;
  }
}

describe('ptyplex web through an upgrade', () => {
  it('a page following a console keeps its terminal: new output after the switch, each line once, and nothing says the session ended', async () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '-d', '-L', 'up', '--names', 'count', 'i=0; while :; do i=$((i+1)); echo n-$i; sleep 0.1; done'], { env: slowCheckEnv(s.env), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const w = await startWeb(s, ['-L', 'up']);
    webs.push(w);
    let webDone = false;
    void w.done.then(() => (webDone = true));
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(w.url);
    await openConsole(page, 'count');
    // A second follower, by hand, that keeps every byte it gets: the proof of nothing twice, nothing lost.
    await page.evaluate(() => {
      const raw: Raw = { text: '', messages: [], closed: null };
      window.raw = raw;
      const ws = new WebSocket(`ws://${location.host}/ws/console?name=count&cols=80&rows=24`, ['ptyplex', `key.${localStorage.getItem('ptyplex-page-key') ?? ''}`]);
      ws.binaryType = 'arraybuffer';
      const decoder = new TextDecoder();
      let got = 0;
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') return void raw.messages.push(ev.data);
        raw.text += decoder.decode(ev.data as ArrayBuffer, { stream: true });
        got += (ev.data as ArrayBuffer).byteLength;
        ws.send(JSON.stringify({ type: 'ack', bytes: got }));
      };
      ws.onclose = (ev) => (raw.closed = ev.code);
    });
    const raw = () => page.evaluate(() => window.raw!);
    await expect.poll(async () => counts((await raw()).text).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);

    const upgraded = await s.start(['upgrade', '-L', 'up']).done;
    expect(upgraded.stderr).toBe('');
    expect(upgraded.status).toBe(0);
    expect(upgraded.stdout).toMatch(/generation 1$/m);
    const atSwitch = Math.max(...counts((await raw()).text));
    // The page's terminal goes on counting past the switch ...
    const last = async () => Math.max(0, ...counts(`${(await screen(page)).replace(/\n/g, '\r\n')}\r\n`));
    await expect.poll(last, { timeout: 15_000 }).toBeGreaterThan(atSwitch + 10);
    // ... and the by-hand socket got every line once, in order, on the one connection.
    await expect.poll(async () => Math.max(...counts((await raw()).text)), { timeout: 10_000 }).toBeGreaterThan(atSwitch + 10);
    const got = await raw();
    const seen = counts(got.text);
    expect(seen[0]).toBe(1);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(got.closed).toBeNull();
    const types = got.messages.map((m) => (JSON.parse(m) as { type: string }).type);
    expect(types).toContain('upgrading');
    expect(types).toContain('resumed');
    expect(types).not.toContain('gone');
    expect(types).not.toContain('end');
    // Nobody said the session ended: not the list, not the terminal, and ptyplex web still serves.
    expect(await page.locator('#notice').innerText()).not.toMatch(/ended/);
    expect(await page.locator('#term-status').innerText()).toMatch(/^attached/);
    expect(webDone).toBe(false);
    expect(w.stderr()).not.toMatch(/ended/);
    expect(s.describe('up').server.generation).toBe(1);
    await page.close();
  }, 60_000);
});

describe('ptyplex web -H ssh://', () => {
  it('shows a console of a session reached over ssh, checks Host and cookie the same, and ends with that session', async () => {
    sshd = await startSshd();
    const r = s.cli(['run', '-d', '-L', 'far', '--names', 'far', 'echo far-$((6*7)); exec sleep 100000']);
    expect(r.status, r.stderr).toBe(0);
    // The far side (sshd gives it a fresh environment) finds session "far"
    // in this test's runtime directory; this side has an empty one, so
    // whatever the page shows came over ssh.
    const here = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-web-here-'));
    cleanups.push(() => fs.rmSync(here, { recursive: true, force: true }));
    const env = { ...sshd.env, PTYPLEX_REMOTE_COMMAND: `XDG_RUNTIME_DIR=${s.runtime} ${sshd.env.PTYPLEX_REMOTE_COMMAND}`, XDG_RUNTIME_DIR: here };
    const w = await startWeb(s, ['-H', sshd.url, '-L', 'far'], env);
    webs.push(w);
    const page = await browser.newPage();
    await page.goto(w.url);
    await openConsole(page, 'far');
    await expect.poll(() => screen(page), { timeout: 10_000 }).toMatch(/^far-42$/m);

    // Still served here, still checked: a Host that is not the gateway, a WebSocket without the cookie.
    const { port } = new URL(w.base);
    expect(await status({ port, path: '/api/session', headers: { Host: 'rebound.example:80' } })).toBe(421);
    expect(await status({ port, path: '/api/session' })).toBe(401);
    expect(await status({ port, path: '/ws/list', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: w.base } })).toBe(401);

    expect(s.cli(['kill-server', '-L', 'far']).status).toBe(0);
    await page.locator('#notice', { hasText: 'The session has ended' }).waitFor({ timeout: 15_000 });
    const done = await w.done;
    expect(done.status).toBe(0);
    expect(done.stderr).toMatch(/session has ended/);
    await page.close();
  }, 60_000);
});

/** The HTTP status a request to the gateway gets (an upgrade refused is an ordinary response). */
function status(opts: { port: string; path: string; headers?: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(opts.port), path: opts.path, headers: opts.headers ?? {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
}
