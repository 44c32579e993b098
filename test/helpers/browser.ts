// Debian's chromium driven by playwright-core (no browser download), and
// `ptyplex web` started against a test session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { CliResult, TestSessions } from './session.js';
import { testSessions, until } from './session.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless chromium; fails loudly when it is not installed (scripts/ensure-tools.js installs it). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/ensure-tools.js`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-chromium-'))}`],
  });
}

/**
 * What most web tests start from: a session whose one console, sh, is a
 * bash, and a browser. The caller closes both (browser.close, s.cleanup).
 */
export async function shellAndBrowser(): Promise<{ s: TestSessions; browser: Browser }> {
  const s = testSessions();
  const browser = await launchBrowser();
  const r = s.cli(['run', '-d', '--names', 'sh', 'bash --norc --noprofile']);
  if (r.status !== 0) throw new Error(`the session did not start: ${r.stderr}`);
  return { s, browser };
}

export interface WebRun {
  /** The URL printed first, with its one-time token. */
  url: string;
  /** http://HOST:PORT */
  base: string;
  token: string;
  /** The gateway's process. */
  pid: number;
  /** The stderr so far. */
  stderr(): string;
  done: Promise<CliResult>;
  kill(): void;
}

/** Starts `ptyplex web --listen 127.0.0.1:0 ...args` (extraEnv: e.g. the test sshd's) and waits for its URL. */
export async function startWeb(s: TestSessions, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<WebRun> {
  const run = s.start(['web', ...(args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']), ...args], extraEnv);
  let result: CliResult | undefined;
  void run.done.then((r) => (result = r));
  const url = await until(() => run.stdoutSoFar().split('\n')[0]?.match(/^https?:\/\/\S+#token=\S+$/)?.[0] || (result !== undefined && fail(result)), 'the URL on stdout', 15_000);
  const base = url.slice(0, url.indexOf('/#'));
  return { url, base, token: url.slice(url.indexOf('#token=') + 7), pid: run.pid, stderr: () => run.stderrSoFar(), done: run.done, kill: () => run.kill('SIGTERM') };
}

function fail(r: CliResult): never {
  throw new Error(`ptyplex web ended (${r.status}) before printing its URL: ${r.stderr}`);
}

/** What the page holds once logged in: the cookie (as a Cookie header) and the page key. */
export interface WebLogin {
  status: number;
  cookie: string;
  key: string;
}

/** Trades a token (the run's own by default) as the page does. */
export async function logIn(w: WebRun, token = w.token): Promise<WebLogin> {
  const res = await fetch(`${w.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: w.base }, body: JSON.stringify({ token }) });
  const body = res.ok ? ((await res.json()) as { key?: string }) : {};
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, key: body.key ?? '' };
}

/** The subprotocols the page offers on a WebSocket: the key rides as the second. */
export function keyProtocols(key: string): string[] {
  return ['ptyplex', `key.${key}`];
}
