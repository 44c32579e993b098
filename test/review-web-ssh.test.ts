// A hostile outside review of `ptyplex web` and `-H ssh://`: each test is a
// fault found in the merged code, run through the real CLI (the bundle
// users run), failing before its fix.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { keyProtocols, logIn, startWeb, type WebRun } from './helpers/browser.js';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { checking, slowCheckEnv } from './helpers/upgrade.js';

const sessions: TestSessions[] = [];
const webs: WebRun[] = [];

afterAll(() => {
  for (const w of webs) w.kill();
  for (const s of sessions) s.cleanup();
});

function sessionsHere(): TestSessions {
  const s = testSessions();
  sessions.push(s);
  return s;
}

async function web(s: TestSessions, args: string[] = []): Promise<WebRun> {
  const w = await startWeb(s, args);
  webs.push(w);
  return w;
}

/** Logs in as the page does: the cookie, and the page key offered as a subprotocol. */
async function loginOf(w: WebRun): Promise<{ cookie: string; protocols: string[] }> {
  const login = await logIn(w);
  expect(login.status).toBe(200);
  return { cookie: login.cookie, protocols: keyProtocols(login.key) };
}

describe('review: ptyplex web', () => {
  it('the bundled CLI finds the page (web/ beside the package, not three levels above the bundle) and serves it', async () => {
    const s = sessionsHere();
    expect(s.cli(['run', '-d', '--names', 'sh', 'exec sleep 100000']).status).toBe(0);
    const w = await web(s);
    const page = await fetch(`${w.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app.js');
    expect((await fetch(`${w.base}/app.js`)).status).toBe(200);
  });

  it('a gateway with a page open outlives an upgrade of its session server, and sees the new program', async () => {
    const s = sessionsHere();
    // The upgrade's check takes 3 s: the page's once-a-second question meets "upgrading".
    const r = spawnSync(process.execPath, [BIN, 'run', '-d', '--names', 'sh', 'exec sleep 100000'], { env: slowCheckEnv(s.env, 3000), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const w = await web(s);
    const { cookie, protocols } = await loginOf(w);
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}/ws/list`, protocols, { headers: { Origin: w.base, Cookie: cookie } });
    const news: Record<string, unknown>[] = [];
    ws.on('message', (data: Buffer) => news.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await until(() => news.length > 0, 'the first list');
    let ended = false;
    void w.done.then(() => (ended = true));
    const up = s.cli(['upgrade'], { timeout: 60_000 });
    expect(up.status, up.stderr).toBe(0);
    await until(() => news.some((n) => (n.session as { server?: { generation?: number } } | undefined)?.server?.generation === 1) || ended, 'the list from the new program', 15_000);
    expect(news.filter((n) => n.type === 'ended')).toEqual([]);
    expect(ended, w.stderr()).toBe(false);
    ws.close();
  });

  it('a page that (re)connects a console while the session server is upgraded is attached once the new program serves, not refused for good', async () => {
    const s = sessionsHere();
    const r = spawnSync(process.execPath, [BIN, 'run', '-d', '--names', 'sh', 'exec sleep 100000'], { env: slowCheckEnv(s.env, 3000), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const pid = (JSON.parse(s.cli(['ls', '--json']).stdout) as { pid: number }[])[0]!.pid;
    const w = await web(s);
    const { cookie, protocols } = await loginOf(w);
    const up = s.start(['upgrade']);
    await until(() => checking(pid), 'the upgrade under way', 20_000);
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}/ws/console?name=sh&cols=80&rows=24`, protocols, { headers: { Origin: w.base, Cookie: cookie } });
    const said: string[] = [];
    let closed: number | undefined;
    ws.on('message', (data: Buffer, binary: boolean) => binary || said.push(String((JSON.parse(data.toString()) as { type: string }).type)));
    ws.on('close', (code) => (closed = code));
    expect((await up.done).status).toBe(0);
    await until(() => said.includes('attached') || closed !== undefined, 'attached or refused', 15_000);
    expect(said).toEqual(['hello', 'attached']);
    expect(closed).toBeUndefined();
    ws.close();
  });
});

describe('review: -H ssh://', () => {
  it('a remote whose ls answer is JSON of the wrong shape gets one line and status 1, no stack trace', () => {
    const s = sessionsHere();
    const env = { ...s.env, PTYPLEX_SSH_COMMAND: 'echo \'[1,null,{"name":"x","consoles":5}]\'; :' };
    const r = spawnSync(process.execPath, [BIN, 'ls', '-H', 'ssh://peer'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ptyplex: peer: /);
    expect(r.status).toBe(1);
  });

  it('names a remote sends are shown, not obeyed: control characters in ls -H reach the terminal as \\xNN', () => {
    const s = sessionsHere();
    const list = JSON.stringify([{ name: 's\u001b]0;pwn\u0007', consoles: [{ name: 'c\u001b[2J', pid: 1, state: 'running' }] }]);
    const env = { ...s.env, PTYPLEX_SSH_COMMAND: `echo '${list}'; :` };
    const r = spawnSync(process.execPath, [BIN, 'ls', '-H', 'ssh://peer'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain('s\\x1b]0;pwn\\x07');
    expect(r.stdout).toContain('c\\x1b[2J');
  });

  it('an ssh that ignores SIGTERM past the deadline is killed: the command says so and ends, it does not wait for ssh', () => {
    const s = sessionsHere();
    const env = { ...s.env, PTYPLEX_SSH_TIMEOUT: '1s', PTYPLEX_SSH_COMMAND: 'trap "" TERM; sleep 25; :' };
    const began = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'send', '-H', 'ssh://wedged', 'sh', 'hi'], { env, encoding: 'utf8', timeout: 90_000 });
    // Fixed: about 2 s (the deadline, then SIGKILL 1 s after SIGTERM); broken: the whole 25 s.
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(r.stderr).toMatch(/^ptyplex: wedged: no answer within 1s/);
    expect(r.status).toBe(1);
  });
});
