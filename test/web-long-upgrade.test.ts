// A page following a console through an upgrade that takes longer than
// the follower's 10 s reconnect window (the new program's check slowed to
// 13 s, helpers/slow-check.mjs): while the old server answers "upgrading"
// it is alive and bound by its own deadlines, so the gateway waits for it
// and the page's socket carries on (resumed, never "gone").
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { keyProtocols, logIn, startWeb, type WebRun } from './helpers/browser.js';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';
import { slowCheckEnv } from './helpers/upgrade.js';

let s: TestSessions;
let w: WebRun | undefined;

beforeAll(() => {
  s = testSessions();
});

afterAll(() => {
  w?.kill();
  s?.cleanup();
});

describe('ptyplex web through a long upgrade', () => {
  it('a console socket rides out an upgrade whose check takes 13 s (past the 10 s reconnect window)', async () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '-d', '--names', 'count', 'i=0; while :; do i=$((i+1)); echo n-$i; sleep 0.2; done'], { env: slowCheckEnv(s.env, 13_000), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    w = await startWeb(s, []);
    const login = await logIn(w);
    const ws = new WebSocket(`${w.base.replace('http', 'ws')}/ws/console?name=count&cols=80&rows=24`, keyProtocols(login.key), { headers: { Cookie: login.cookie, Origin: w.base } });
    const said: string[] = [];
    let text = '';
    let closed: number | undefined;
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) text += data.toString();
      else said.push(String((JSON.parse(data.toString()) as { type: string }).type));
    });
    ws.on('close', (code) => (closed = code));
    await until(() => said.includes('attached') && /n-3\r\n/.test(text), 'the first lines', 10_000);
    const up = s.cli(['upgrade'], { timeout: 60_000 });
    expect(up.status, up.stderr).toBe(0);
    await until(() => said.includes('resumed') || closed !== undefined, 'resumed, or given up', 15_000);
    const last = Math.max(...[...text.matchAll(/n-(\d+)\r\n/g)].map((m) => Number(m[1])));
    await until(() => text.includes(`n-${last + 3}\r\n`) || closed !== undefined, 'output after the upgrade', 10_000);
    expect({ said: said.filter((t) => t !== 'skipped'), closed }).toEqual({ said: ['hello', 'attached', 'upgrading', 'resumed'], closed: undefined });
    expect(s.describe().server.generation).toBe(1);
    ws.close();
  }, 60_000);
});
