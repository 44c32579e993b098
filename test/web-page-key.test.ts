// The login is bound to the page's origin, in Debian's chromium. Browsers
// send a host's cookies to every port of it: another server on 127.0.0.1
// (another user's, on a shared machine) that the browser visits gets the
// gateway's cookie. Replayed alone it must open nothing: every /api/
// request and WebSocket also needs the page key, which the page keeps in
// localStorage, out of reach of any other port's page. The page itself, a
// reload and a second tab of the same origin still work.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { keyProtocols, shellAndBrowser, startWeb, type WebRun } from './helpers/browser.js';
import { until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let browser: Browser;
const webs: WebRun[] = [];
let other: http.Server | undefined;

beforeAll(async () => {
  ({ s, browser } = await shellAndBrowser());
}, 30_000);

afterAll(async () => {
  for (const w of webs) w.kill();
  await browser?.close();
  other?.close();
  s?.cleanup();
});

/** Opens a WebSocket; resolves with it, or with the HTTP status it was refused with. */
function upgrade(w: WebRun, path: string, cookie: string, protocols: string[]): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}${path}`, protocols, { headers: { Cookie: cookie, Origin: w.base } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('ptyplex web: the login is bound to the page origin', () => {
  it('a cookie another port\'s server received is refused without the page key (401 on /api/ and on upgrades); the page, a reload and a second tab work', async () => {
    const w = await startWeb(s, ['--write']);
    webs.push(w);
    // Another server on this host, another port: it keeps what the browser sends it.
    const cookies: string[] = [];
    other = http.createServer((req, res) => {
      cookies.push(req.headers.cookie ?? '');
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another port</title>');
    });
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', resolve));
    const otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(w.url);
    await page.locator('#consoles tr[data-console="sh"]').waitFor({ timeout: 10_000 });

    // The browser visits the other port: our cookie goes along ...
    const elsewhere = await context.newPage();
    await elsewhere.goto(`${otherBase}/`);
    const stolen = cookies.map((c) => c.split(';').map((p) => p.trim()).find((p) => p.startsWith('ptyplex_'))).find((c) => c !== undefined);
    expect(stolen, `cookies the other port got: ${JSON.stringify(cookies)}`).toMatch(/^ptyplex_\d+=[\w-]{43}$/);
    // ... the page key does not: that port's page reads its own localStorage.
    expect(await elsewhere.evaluate(() => localStorage.getItem('ptyplex-page-key'))).toBeNull();
    await elsewhere.close();

    // Replayed alone, or with a made-up key: 401, on /api/ and on both WebSockets.
    const made = 'A'.repeat(43);
    for (const key of [undefined, '', made]) {
      const headers: Record<string, string> = { Cookie: stolen! };
      if (key !== undefined) headers['X-Ptyplex-Key'] = key;
      expect((await fetch(`${w.base}/api/session`, { headers })).status).toBe(401);
      const protocols = key === undefined ? ['ptyplex'] : keyProtocols(key);
      expect(await upgrade(w, '/ws/list', stolen!, protocols)).toBe(401);
      expect(await upgrade(w, '/ws/console?name=sh&cols=80&rows=24', stolen!, protocols)).toBe(401);
    }
    expect(await upgrade(w, '/ws/list', stolen!, [])).toBe(401);

    // The key the page holds opens them, with the cookie; the gateway chooses 'ptyplex'.
    const key = await page.evaluate(() => localStorage.getItem('ptyplex-page-key'));
    expect(key).toMatch(/^[\w-]{43}$/);
    expect((await fetch(`${w.base}/api/session`, { headers: { Cookie: stolen!, 'X-Ptyplex-Key': key! } })).status).toBe(200);
    const own = await upgrade(w, '/ws/list', stolen!, keyProtocols(key!));
    expect(own).toBeInstanceOf(WebSocket);
    expect((own as WebSocket).protocol).toBe('ptyplex');
    (own as WebSocket).close();
    // The key without the cookie is not enough either.
    expect((await fetch(`${w.base}/api/session`, { headers: { 'X-Ptyplex-Key': key! } })).status).toBe(401);

    // A reload of the page, then a second tab of the same origin: both logged in, both attach.
    await page.reload();
    await page.locator('#consoles tr[data-console="sh"]').click({ timeout: 10_000 });
    await page.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
    const tab = await context.newPage();
    await tab.goto(`${w.base}/`);
    await tab.locator('#consoles tr[data-console="sh"]').click({ timeout: 10_000 });
    await tab.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
    await page.locator('#term').click();
    await page.keyboard.type('echo key-$((6*7))');
    await page.keyboard.press('Enter');
    await until(() => s.cli(['tee', 'sh', '--no-follow']).stdout.includes('key-42'), 'the typed line in the console', 10_000);
    expect(await page.locator('#notice').isHidden()).toBe(true);
    await context.close();
  }, 60_000);
});
