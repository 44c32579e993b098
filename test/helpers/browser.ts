// Debian's chromium driven by playwright-core (no browser download), and
// `ptyplex web` started against a test session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { CliResult, TestSessions } from './session.js';
import { until } from './session.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless chromium; fails loudly when it is not installed (scripts/ensure-tools.js installs it). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/ensure-tools.js`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-chromium-'))}`],
  });
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
