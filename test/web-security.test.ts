// ptyplex web's doors, tried without a browser: what needs the cookie gets
// 401 without it, the token works once, a foreign Origin or Host is
// refused, listening beyond loopback needs TLS or --insecure, and bad
// messages from a page cost that page alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWeb, type WebRun } from './helpers/browser.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
const webs: WebRun[] = [];

beforeAll(() => {
  s = testSessions();
  const r = s.cli(['run', '-d', '--names', 'sh,deaf', 'bash --norc --noprofile', 'exec sleep 100000']);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => {
  for (const w of webs) w.kill();
  s?.cleanup();
});

async function web(args: string[] = []): Promise<WebRun> {
  const w = await startWeb(s, args);
  webs.push(w);
  return w;
}

async function login(w: WebRun, token = w.token): Promise<{ status: number; cookie: string }> {
  const res = await fetch(`${w.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: w.base }, body: JSON.stringify({ token }) });
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! };
}

/** Opens a WebSocket; resolves with it, or with the HTTP status it was refused with. */
function upgrade(w: WebRun, path: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}${path}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

/** The next JSON message a console WebSocket says (binary output skipped). */
function said(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" message`)), 10_000);
    const on = (data: Buffer, binary: boolean) => {
      if (binary) return;
      const msg = JSON.parse(data.toString()) as Record<string, unknown>;
      if (msg.type !== type) return;
      clearTimeout(timer);
      ws.off('message', on);
      resolve(msg);
    };
    ws.on('message', on);
  });
}

describe('ptyplex web: security', () => {
  it('the page is public; data and WebSockets need the cookie (401); the token works once', async () => {
    const w = await web();
    expect((await fetch(`${w.base}/`)).status).toBe(200);
    expect((await fetch(`${w.base}/vendor/xterm.mjs`)).status).toBe(200);
    expect((await fetch(`${w.base}/api/session`)).status).toBe(401);
    expect(await upgrade(w, '/ws/list', { Origin: w.base })).toBe(401);
    expect(await upgrade(w, '/ws/console?name=sh', { Origin: w.base })).toBe(401);
    expect((await login(w, 'A'.repeat(43))).status).toBe(401);
    const first = await login(w);
    expect(first.status).toBe(204);
    expect(first.cookie).toMatch(/^ptyplex_\d+=\S{20,}$/);
    expect((await login(w)).status).toBe(401);
    const forged = `${first.cookie.split('=')[0]}=${'A'.repeat(43)}`;
    expect((await fetch(`${w.base}/api/session`, { headers: { Cookie: forged } })).status).toBe(401);
    expect((await fetch(`${w.base}/api/session`, { headers: { Cookie: first.cookie } })).status).toBe(200);
  });

  it('a WebSocket from another Origin is refused, and so is a Host that is not the gateway (DNS rebinding)', async () => {
    const w = await web();
    const { cookie } = await login(w);
    expect(await upgrade(w, '/ws/list', { Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(w, '/ws/list', { Cookie: cookie })).toBe(403);
    const port = new URL(w.base).port;
    expect(await upgrade(w, '/ws/list', { Cookie: cookie, Origin: `http://evil.example:${port}`, Host: `evil.example:${port}` })).toBe(421);
    const own = await upgrade(w, '/ws/list', { Cookie: cookie, Origin: w.base });
    expect(own).toBeInstanceOf(WebSocket);
    (own as WebSocket).close();
  });

  it('bad messages, impossible sizes and a flood of keys are answered or dropped for that page; the session is untouched', async () => {
    const w = await web(['--write']);
    const { cookie } = await login(w);
    const headers = { Cookie: cookie, Origin: w.base };
    const ws = (await upgrade(w, '/ws/console?name=sh&cols=0&rows=100000', headers)) as WebSocket;
    await said(ws, 'attached');
    for (const bad of ['not json', '[1,2]', '{"type":"explode"}', '{"type":"resize","cols":0,"rows":0}', '{"type":"resize","cols":100000,"rows":40}', '{"type":"ack","bytes":1e12}', '{"type":"input","data":42}']) {
      const answer = said(ws, 'error');
      ws.send(bad);
      expect(String((await answer).error)).toMatch(/^refused: /);
    }
    const sizeBefore = s.describe().consoles.find((c) => c.name === 'sh')!;
    expect([sizeBefore.cols, sizeBefore.rows]).not.toContain(100000);
    // A console that reads nothing, flooded: keys are dropped, nothing else notices.
    const deaf = (await upgrade(w, '/ws/console?name=deaf&cols=80&rows=24', headers)) as WebSocket;
    await said(deaf, 'attached');
    const dropped = said(deaf, 'input-dropped');
    const key = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 200; i++) deaf.send(JSON.stringify({ type: 'input', data: key }));
    await dropped;
    // One message past the limit closes that page's socket alone.
    const closed = new Promise<number>((resolve) => deaf.once('close', (code) => resolve(code)));
    deaf.send(JSON.stringify({ type: 'input', data: 'y'.repeat(100 * 1024) }));
    expect(await closed).toBe(1009);
    // The first page still types into its console.
    ws.send(JSON.stringify({ type: 'input', data: 'echo ok-$((1+1))\r' }));
    const seen = s.cli(['expect', 'sh', 'ok-2']);
    expect(seen.status, `${seen.stderr} ${s.cli(['tee', 'sh', '--no-follow']).stdout}`).toBe(0);
    const consoles = s.describe().consoles;
    expect(consoles.map((c) => [c.name, c.state])).toEqual([['sh', 'running'], ['deaf', 'running']]);
    ws.close();
  });

  it('listening beyond loopback needs TLS or --insecure, and says so', async () => {
    const refused = s.cli(['web', '--listen', '0.0.0.0:0']);
    expect(refused.status).toBe(64);
    expect(refused.stderr).toMatch(/^ptyplex: listening on 0\.0\.0\.0 .*--tls-cert.*--insecure.*\n$/);
    const bad = s.cli(['web', '--listen', 'nonsense']);
    expect([bad.status, bad.stderr.split('\n').length]).toEqual([64, 2]);
    const w = await web(['--listen', '0.0.0.0:0', '--insecure']);
    await until(() => /WITHOUT TLS/.test(w.stderr()), 'the warning');
  });
});
