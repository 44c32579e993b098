// Review of issue 14 (start-up): what another user, an older session server
// or a misbehaving peer can make of the code cache and the one-connection
// console lookup.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_JSON, FrameDecoder, jsonFrame } from '../src/server/protocol.js';
import { NOBODY } from './helpers/as-nobody.js';
import { BIN } from './helpers/cli.js';
import { testSessions, type TestSessions } from './helpers/session.js';

const root = path.join(path.dirname(BIN), '..');
let s: TestSessions | undefined;
const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((close) => close());
  s?.cleanup();
  s = undefined;
});

describe('review 14: the code cache', () => {
  it('is not used when another user owns it, or anyone may write it (code V8 would run as the user starting ptyplex), and a FIFO there holds no start', () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root: it hands a file to nobody');
    // A copy of the package whose dist/ holds the bundle and its cache, as built.
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-cache-'));
    closers.push(() => fs.rmSync(pkg, { recursive: true, force: true }));
    fs.mkdirSync(path.join(pkg, 'dist'));
    for (const f of ['node_modules', 'build', 'package.json']) fs.symlinkSync(path.join(root, f), path.join(pkg, f));
    const bundle = path.join(pkg, 'dist/ptyplex-cli.cjs');
    const cache = `${bundle}.cache`;
    fs.copyFileSync(path.join(root, 'dist/ptyplex-cli.cjs'), bundle);
    fs.copyFileSync(path.join(root, 'dist/ptyplex-cli.cjs.cache'), cache);
    fs.chmodSync(cache, 0o644);
    const used = () => {
      const script = `const r = require(${JSON.stringify(path.join(root, 'bin/load-bundle.js'))}).loadBundle(${JSON.stringify(bundle)});
        process.stdout.write(String(r.cacheUsed));`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      return r.stdout;
    };
    // The build's own cache, owned as the bundle is: used.
    expect(used()).toBe('true');
    // The same bytes planted by another user (a directory where anyone may
    // create a file, the cache not yet there): not used.
    fs.chownSync(cache, NOBODY, NOBODY);
    expect(used()).toBe('false');
    // Owned as the bundle is, but writable by anyone (the bundle is not).
    fs.chownSync(cache, fs.statSync(bundle).uid, fs.statSync(bundle).gid);
    fs.chmodSync(cache, 0o666);
    expect(used()).toBe('false');
    // A FIFO planted there holds no start (open(2) would wait for a writer).
    fs.rmSync(cache);
    expect(spawnSync('mkfifo', [cache]).status).toBe(0);
    fs.chownSync(cache, NOBODY, NOBODY);
    expect(used()).toBe('false');
  });
});

/**
 * A session server from before `find` (it ignores fields it does not know):
 * a proxy at `at` to the real server at `to` that strips `find` from each
 * connection's first request.
 */
async function olderServer(at: string, to: string): Promise<void> {
  const server = net.createServer((client) => {
    const upstream = net.connect(to);
    const decoder = new FrameDecoder();
    let first = true;
    const forward = (chunk: Buffer) => {
      if (!first) return void upstream.write(chunk);
      for (const frame of decoder.push(chunk)) {
        if (frame.type !== FRAME_JSON) throw new Error('the first frame is a request');
        const { find: _find, ...request } = frame.message;
        upstream.write(jsonFrame(request));
        first = false;
      }
    };
    client.on('data', forward);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(at, resolve));
  closers.push(() => server.close());
}

describe('review 14: a new client, an older session server', () => {
  it('a send into a console slow to read is not called a silent server (an older server never says found)', async () => {
    s = testSessions();
    const real = path.join(s.runtime, 'real.sock');
    // The console reads nothing for 3 s: a send larger than its terminal's buffer waits that long.
    expect(s.cli(['run', '-d', '-S', real, '--names', 'slow', 'sleep 3; exec cat >/dev/null']).status).toBe(0);
    closers.push(() => s?.cli(['kill-server', '-S', real], { timeout: 10_000 }));
    const dir = path.join(s.runtime, 'ptyplex');
    fs.mkdirSync(dir, { mode: 0o700 });
    await olderServer(path.join(dir, 'old'), real);
    const r = await s.start(['send', 'slow', `${'y'.repeat(99)}\n`.repeat(400)]).done;
    expect(r).toMatchObject({ status: 0, stderr: '' });
  }, 60_000);
});

describe('review 14: the only session, stopped', () => {
  it('a send to it still ends, saying the session is not responding (the second question is bounded too)', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'alone', '--names', 'one', 'sleep 300']).status).toBe(0);
    const pid = s.describe('alone').pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const r = s.cli(['send', 'one', 'x'], { timeout: 20_000 });
      expect(r).toMatchObject({ status: 1, stderr: 'ptyplex: session "alone" is not responding; skipped it\nptyplex: no session answered, so no console "one" was found\n' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 30_000);
});

describe('review 14: a build where the code cache cannot be made', () => {
  it('succeeds without it, saying so in one line (no writable temporary directory)', () => {
    // A copy of the package as tsc left it: the bundle step runs on it.
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-review-build-'));
    closers.push(() => fs.rmSync(pkg, { recursive: true, force: true }));
    for (const f of ['node_modules', 'build', 'package.json']) fs.symlinkSync(path.join(root, f), path.join(pkg, f));
    for (const f of ['bin', 'scripts', 'dist']) fs.cpSync(path.join(root, f), path.join(pkg, f), { recursive: true });
    fs.rmSync(path.join(pkg, 'dist/ptyplex-cli.cjs'));
    const r = spawnSync(process.execPath, [path.join(pkg, 'scripts/bundle.js')], { env: { ...process.env, TMPDIR: path.join(pkg, 'no-such-dir') }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/^bundle: warning: no code cache for \S+ \(each start parses it\): code-cache: ENOENT[^\n]*\n$/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(pkg, 'dist/ptyplex-cli.cjs'))).toBe(true);
    expect(fs.existsSync(path.join(pkg, 'dist/ptyplex-cli.cjs.cache'))).toBe(false);
    // And the bundle it made runs.
    const version = spawnSync(process.execPath, [path.join(pkg, 'bin/ptyplex.js'), '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(version).toMatchObject({ status: 0, stderr: '' });
  }, 90_000);
});
