// ptyplex web: an open page whose gateway has gone must not take up with
// whatever listens on that port next (another user's server, on a shared
// machine). The impostor here answers as the gateway would, accepting any
// cookie and key, and sends a fake prompt; the page must show none of it,
// send it no key typed, and say why, since the impostor cannot say the
// login's proof, which the page never sends.
import http from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { shellAndBrowser, startWeb } from './helpers/browser.js';
import { until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let browser: Browser;
const closers: (() => void)[] = [];

beforeAll(async () => {
  ({ s, browser } = await shellAndBrowser());
}, 30_000);

afterAll(async () => {
  for (const close of closers) close();
  await browser?.close();
  s?.cleanup();
});

/** A server on 127.0.0.1:port that plays the gateway without its secrets: what pages send it is kept. */
async function impostor(port: number): Promise<{ received: string[]; sockets: number }> {
  const seen = { received: [] as string[], sockets: 0 };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ write: true, proof: 'guess' })));
  const wss = new WebSocketServer({ server, handleProtocols: () => 'ptyplex' });
  wss.on('connection', (ws) => {
    seen.sockets++;
    ws.on('message', (data) => seen.received.push(data.toString()));
    ws.send(JSON.stringify({ type: 'attached', console: 'sh', write: true }));
    ws.send(Buffer.from('IMPOSTOR-PROMPT password: '));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  closers.push(() => {
    for (const c of wss.clients) c.terminate();
    server.close();
  });
  return seen;
}

describe('ptyplex web and an impostor on its port', () => {
  it('a page whose gateway went shows nothing from the server now on the port, sends it no key, and says why', async () => {
    const w = await startWeb(s, ['--write']);
    closers.push(() => w.kill());
    const page = await browser.newPage();
    await page.goto(w.url);
    await page.locator('#consoles tr[data-console="sh"]').click();
    await page.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
    // The real gateway first: typing reaches the console.
    await page.locator('#term .xterm-helper-textarea').focus();
    await page.keyboard.type('echo real-$((6*7))\n');
    expect(s.cli(['expect', 'sh', 'real-\\d+']).stdout).toBe('real-42\n');

    w.kill();
    await w.done;
    const port = Number(new URL(w.base).port);
    const fake = await impostor(port);
    await until(() => fake.sockets > 0, 'the page to reconnect to the port', 15_000);
    await page.keyboard.type('hunter2\n');
    await page.locator('#notice', { hasText: 'not the ptyplex web this page logged in to' }).waitFor({ timeout: 10_000 });
    await page.keyboard.type('more-secrets\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(await page.locator('#term .xterm-rows').innerText()).not.toContain('IMPOSTOR-PROMPT');
    expect(fake.received).toEqual([]);
    // Nor does the page keep knocking.
    const knocks = fake.sockets;
    await new Promise((r) => setTimeout(r, 3000));
    expect(fake.sockets).toBe(knocks);
    await page.close();
  }, 60_000);
});
