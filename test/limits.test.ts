// At the kernel's limits (open files, pseudo-terminals) a session says which
// limit was met in one line and loses nothing else: the consoles it has keep
// serving; a `run` that cannot start everything starts nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;
afterEach(() => s?.cleanup());

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** `ptyplex args...` under a shell that first runs `limit` (e.g. "ulimit -n 128"). */
function limited(limit: string, args: string[], opts: { timeout?: number; prefix?: string } = {}) {
  const line = `${limit}; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
  const argv = opts.prefix === undefined ? ['bash', '-c', line] : ['unshare', '--mount', '--propagation', 'private', 'bash', '-c', `${opts.prefix} && ${line}`];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: s.env, encoding: 'utf8', timeout: opts.timeout ?? 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function processesWith(tag: string): number {
  const r = spawnSync('pgrep', ['-f', tag], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

describe('the kernel\'s limits', () => {
  it('18 a session out of file descriptors refuses one more console with the limit named, and keeps serving every other', async () => {
    s = testSessions();
    // What a server with one console holds, so the session can be started
    // a few descriptors short of the limit; `new` then adds one at a time.
    expect(limited('ulimit -n 128', ['run', '-d', '-L', 'probe', 'cat']).status).toBe(0);
    const base = fs.readdirSync(`/proc/${s.describe('probe').pid}/fd`).length;
    s.cli(['kill-server', '-L', 'probe']);
    // A console never takes the last 16 descriptors (the server's reserve).
    const count = 128 - base - 16 - 4;
    const started = limited('ulimit -n 128', ['run', '-d', '-L', 'lim', ...Array.from({ length: count }, () => 'cat')]);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    let refusal: { status: number | null; stderr: string } | undefined;
    let added = 0;
    for (let i = 0; i < 20 && refusal === undefined; i++) {
      const r = s.cli(['new', '-L', 'lim', `extra-${i}`, '--', 'cat']);
      if (r.status === 0) added++;
      else refusal = r;
    }
    expect(refusal, 'the server never ran out of descriptors under ulimit -n 128').toBeDefined();
    expect(added).toBeGreaterThan(0);
    expect(refusal!.stderr).toMatch(/^ptyplex: cannot start "extra-\d+": too many open files \(limit 128; raise it with ulimit -n\)\n$/);
    // Every console is still there and running; the first, a middle and
    // the last added still echo what they are sent.
    const info = s.describe('lim');
    expect(info.consoles).toHaveLength(count + added);
    expect(info.consoles.every((c) => c.state === 'running')).toBe(true);
    for (const name of ['cat', `cat-${count >> 1}`, `extra-${added - 1}`]) {
      expect(s.cli(['send', '-L', 'lim', name, `ping-${name}`, '--keys', 'Enter']).status).toBe(0);
      const seen = s.cli(['expect', '-L', 'lim', name, `ping-${name}\\r?\\n.*ping-${name}`, '--timeout', '10s']);
      expect(seen.stderr).toBe('');
      expect(seen.status).toBe(0);
    }
    // A console that ends gives its descriptor back: one more fits again.
    expect(s.cli(['send', '-L', 'lim', 'cat-2', '--keys', 'C-d']).status).toBe(0);
    await until(() => s.describe('lim').consoles.find((c) => c.name === 'cat-2')?.state === 'exited', 'cat-2 to end');
    const again = s.cli(['new', '-L', 'lim', 'after-free', '--', 'cat']);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
  }, 180_000);

  it('18 a run that cannot start all of its consoles says which, exits 71 and leaves none running', () => {
    s = testSessions();
    const tag = `sleep 417.${process.pid}`;
    const many = Array.from({ length: 150 }, () => tag);
    const r = limited('ulimit -n 128', ['run', '-d', '-L', 'over', ...many]);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 71 });
    expect(r.stderr).toMatch(/^ptyplex: cannot start "sleep-\d+": too many open files \(limit 128; raise it with ulimit -n\); stopped the \d+ consoles already started\n$/);
    expect(r.status).toBe(71);
    expect(processesWith(tag)).toBe(0);
    expect(s.cli(['ls']).status).toBe(1); // no session left behind
  });

  it('18 a run out of pseudo-terminals names the limit it met (a devpts instance with max=4)', () => {
    s = testSessions();
    const prefix = 'mount -t devpts -o newinstance,ptmxmode=0666,max=4 devpts /dev/pts && mount --bind /dev/pts/ptmx /dev/ptmx';
    const tag = `sleep 418.${process.pid}`;
    const r = limited('true', ['run', ...Array.from({ length: 6 }, () => tag)], { prefix });
    expect(r.stderr).toMatch(/ptyplex: cannot start "sleep-5": no more pseudo-terminals \(the devpts on \/dev\/pts allows 4\); stopped the 4 consoles already started\n$/);
    expect(r.status).toBe(71);
    expect(processesWith(tag)).toBe(0);
  });

  it('18 a server started with a soft open-file limit below its hard one works with the hard one, and says so in ls --json', () => {
    s = testSessions();
    const hard = Number(spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
    expect(hard).toBeGreaterThan(256);
    expect(limited('ulimit -Sn 256', ['run', '-d', '-L', 'soft', 'sleep 60']).status).toBe(0);
    const limits = s.describe('soft').limits;
    expect(limits.openFiles).toBe(hard);
    expect(limits.openFilesHard).toBe(hard);
    expect(limits.ptys).toBeGreaterThan(0);
  });
});
