// A detached session in its own socket directory (a private
// XDG_RUNTIME_DIR), and the real CLI pointed at it: each test's sessions
// are invisible to every other test's.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConsoleInfo, SessionInfo } from '../../src/server/session-info.js';
import { BIN } from './cli.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface TestSessions {
  /** The private $XDG_RUNTIME_DIR. */
  readonly runtime: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs `ptyplex args...` to completion. */
  cli(args: string[], opts?: { input?: string; timeout?: number }): CliResult;
  /** Runs `ptyplex args...` in the background (extraEnv: added to the session's environment). */
  start(args: string[], extraEnv?: NodeJS.ProcessEnv): { done: Promise<CliResult>; pid: number; kill(signal?: NodeJS.Signals): void; stdoutSoFar(): string; stderrSoFar(): string };
  /** The session's `ls --json` entry. */
  describe(session?: string): SessionJson;
  /** Stops every session it started. */
  cleanup(): void;
}

/** A console as `ls --json` shows it. */
export type ConsoleJson = ConsoleInfo;

/** A session as `ls --json` shows it. */
export type SessionJson = SessionInfo;

export function testSessions(): TestSessions {
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-xdg-'));
  fs.chmodSync(runtime, 0o700);
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: '1', PTYPLEX_SOCKET: '' };
  delete env.PTYPLEX_SOCKET;
  const cli = (args: string[], opts: { input?: string; timeout?: number } = {}): CliResult => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: opts.timeout ?? 30_000, input: opts.input ?? '' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    runtime,
    env,
    cli,
    start(args, extraEnv = {}) {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const done = new Promise<CliResult>((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
      return { done, pid: child.pid!, kill: (signal = 'SIGTERM') => child.kill(signal), stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
    },
    describe(session = 'default') {
      const r = cli(['ls', '--json']);
      const all = JSON.parse(r.stdout || '[]') as SessionJson[];
      const found = all.find((s) => s.name === session);
      if (found === undefined) throw new Error(`no session ${session} in ls: ${r.stdout} ${r.stderr}`);
      return found;
    },
    cleanup() {
      const dir = path.join(runtime, 'ptyplex');
      for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (!name.endsWith('.log')) cli(['kill-server', '-L', name], { timeout: 10_000 });
      }
      fs.rmSync(runtime, { recursive: true, force: true });
    },
  };
}

/** Polls until check() is truthy; throws with what it last saw. */
export async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
