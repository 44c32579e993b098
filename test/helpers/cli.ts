// Runs the real bin/ptyplex: inside a real PTY (what a user's terminal is),
// or plainly with separate stdout and stderr for the one-line error cases.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleReadable, spawn, type ExitStatus } from '../../src/console/index.js';

export const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'ptyplex.js');

export interface PtyRun {
  /** Everything the terminal has shown so far. */
  output(): string;
  /** Types into the terminal (\x03 is Ctrl-C). */
  type(text: string): Promise<number>;
  resize(cols: number, rows: number): void;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  readonly pid: number;
  /** Settles with the exit and the whole output once ptyplex has ended. */
  readonly done: Promise<{ exit: ExitStatus; output: string }>;
}

export function ptyplexInPty(args: string[], opts: { cols?: number; rows?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): PtyRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cols: opts.cols ?? 100,
    rows: opts.rows ?? 30,
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...opts.env },
  });
  const chunks: Buffer[] = [];
  const stream = new ConsoleReadable(child.console);
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => stream.once('end', r));
  const output = () => Buffer.concat(chunks).toString('utf8');
  return {
    output,
    pid: child.pid,
    type: (text) => child.console.write(text),
    resize: (cols, rows) => child.resize(cols, rows),
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const hit = () => (typeof pattern === 'string' ? output().includes(pattern) : pattern.test(output()));
      while (!hit()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    done: Promise.all([child.exited, ended]).then(([exit]) => ({ exit, output: output() })),
  };
}

export function ptyplexPlain(args: string[], opts: { cwd?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
