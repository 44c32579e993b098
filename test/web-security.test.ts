// ptyplex web's doors, tried without a browser: what needs the cookie gets
// 401 without it, the token works once, a foreign Origin or Host is
// refused, listening beyond loopback needs TLS or --insecure, and bad
// messages from a page cost that page alone.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { keyProtocols, logIn as login, startWeb, type WebRun } from './helpers/browser.js';
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

/** Opens a WebSocket (offering the page key, if given, as the page does); resolves with it, or with the HTTP status it was refused with. */
function upgrade(w: WebRun, path: string, headers: Record<string, string>, key?: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}${path}`, key === undefined ? [] : keyProtocols(key), { headers });
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
    expect(first.status).toBe(200);
    expect(first.cookie).toMatch(/^ptyplex_\d+=\S{20,}$/);
    expect((await login(w)).status).toBe(401);
    expect(first.key).toMatch(/^[\w-]{43}$/);
    const forged = `${first.cookie.split('=')[0]}=${'A'.repeat(43)}`;
    expect((await fetch(`${w.base}/api/session`, { headers: { Cookie: forged, 'X-Ptyplex-Key': first.key } })).status).toBe(401);
    expect((await fetch(`${w.base}/api/session`, { headers: { Cookie: first.cookie, 'X-Ptyplex-Key': first.key } })).status).toBe(200);
  });

  it('a WebSocket from another Origin is refused, and so is a Host that is not the gateway (DNS rebinding)', async () => {
    const w = await web();
    const { cookie, key } = await login(w);
    expect(await upgrade(w, '/ws/list', { Cookie: cookie, Origin: 'http://evil.example' }, key)).toBe(403);
    expect(await upgrade(w, '/ws/list', { Cookie: cookie }, key)).toBe(403);
    const port = new URL(w.base).port;
    expect(await upgrade(w, '/ws/list', { Cookie: cookie, Origin: `http://evil.example:${port}`, Host: `evil.example:${port}` }, key)).toBe(421);
    const own = await upgrade(w, '/ws/list', { Cookie: cookie, Origin: w.base }, key);
    expect(own).toBeInstanceOf(WebSocket);
    (own as WebSocket).close();
  });

  it('bad messages, impossible sizes and a flood of keys are answered or dropped for that page; the session is untouched', async () => {
    const w = await web(['--write']);
    const { cookie, key } = await login(w);
    const headers = { Cookie: cookie, Origin: w.base };
    const ws = (await upgrade(w, '/ws/console?name=sh&cols=0&rows=100000', headers, key)) as WebSocket;
    await said(ws, 'attached');
    for (const bad of ['not json', '[1,2]', '{"type":"explode"}', '{"type":"resize","cols":0,"rows":0}', '{"type":"resize","cols":100000,"rows":40}', '{"type":"ack","bytes":1e12}', '{"type":"input","data":42}']) {
      const answer = said(ws, 'error');
      ws.send(bad);
      expect(String((await answer).error)).toMatch(/^refused: /);
    }
    const sizeBefore = s.describe().consoles.find((c) => c.name === 'sh')!;
    expect([sizeBefore.cols, sizeBefore.rows]).not.toContain(100000);
    // A console that reads nothing, flooded: keys are dropped, nothing else notices.
    const deaf = (await upgrade(w, '/ws/console?name=deaf&cols=80&rows=24', headers, key)) as WebSocket;
    await said(deaf, 'attached');
    const dropped = said(deaf, 'input-dropped');
    const keys = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 200; i++) deaf.send(JSON.stringify({ type: 'input', data: keys }));
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

  it('a page flooding bad messages while never reading is dropped past a bound; the gateway stays small; other pages and the session go on', async () => {
    const w = await web(['--write']);
    const { cookie, key } = await login(w);
    const headers = { Cookie: cookie, Origin: w.base };
    const other = (await upgrade(w, '/ws/console?name=sh&cols=80&rows=24', headers, key)) as WebSocket;
    await said(other, 'attached');
    const flood = (await upgrade(w, '/ws/console?name=sh&cols=80&rows=24', headers, key)) as WebSocket;
    await said(flood, 'attached');
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${w.pid}/status`, 'utf8'))![1]) / 1024;
    const before = rss();
    // Never read: each bad message's answer (about 250 bytes) stays queued for it. N of them are far more than the kernel's socket
    // buffers (a few MiB) and the gateway's bound (2 MiB) together.
    flood.pause();
    let closed = false;
    flood.on('close', () => (closed = true));
    const N = 40_000;
    const bad = JSON.stringify({ type: 'resize', cols: 'w'.repeat(300), rows: 'h'.repeat(300) });
    for (let i = 0; i < N && !closed; i++) {
      flood.send(bad);
      // Let the gateway keep up, so what piles up is its answers, not our sends.
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => (flood as unknown as { _socket: { writableLength: number } })._socket.writableLength === 0 || closed, 'the flood sent', 30_000);
    // Read now: the gateway dropped this page long before its last answer.
    let answers = 0;
    flood.on('message', (data: Buffer, binary: boolean) => binary || answers++);
    flood.resume();
    await until(() => closed || answers >= N, 'the flooding page closed or answered in full', 30_000);
    const grew = rss() - before;
    process.stderr.write(`flood: ${answers} of ${N} answers read before the drop; gateway RSS ${before.toFixed(0)} -> ${(before + grew).toFixed(0)} MiB\n`);
    expect(closed).toBe(true);
    expect(answers).toBeLessThan(N);
    expect(grew).toBeLessThan(64);
    // The other page still types into the console; the session never noticed.
    other.send(JSON.stringify({ type: 'input', data: 'echo flood-$((7*6))\r' }));
    const seen = s.cli(['expect', 'sh', 'flood-42']);
    expect(seen.status, seen.stderr).toBe(0);
    expect(s.describe().consoles.map((c) => [c.name, c.state])).toEqual([['sh', 'running'], ['deaf', 'running']]);
    other.close();
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

  it('every interface, however spelled (0, ::0), serves the names other machines use, and prints a URL that opens here', async () => {
    const port = (base: string) => new URL(base).port;
    const status = (base: string, host: string) => new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: port(base), path: '/', headers: { Host: `${host}:${port(base)}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    for (const listen of ['0:0', '[::0]:0']) {
      const w = await web(['--listen', listen, '--insecure']);
      expect(w.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // A name this gateway cannot know: another machine's view of this one.
      expect(await status(w.base, 'build-box.example')).toBe(200);
      w.kill();
    }
    // Loopback still checks Host (DNS rebinding).
    const local = await web();
    expect(await status(local.base, 'build-box.example')).toBe(421);
  });
});
