// Issue 14: a command that names a console (send, expect, tee) finds the
// session holding it in the request it makes anyway, when one session runs:
// one connection, where it took three (a probe, the session's list, then
// the request). The session sits behind a proxy socket that counts the
// connections made to it; every answer a user sees stays what it was.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, type ConsoleLookup } from '../src/server/control-client.js';
import { jsonFrame } from '../src/server/protocol.js';
import { SessionError } from '../src/server/session-error.js';
import { testSessions, type TestSessions } from './helpers/session.js';

let s: TestSessions | undefined;
const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((close) => close());
  s?.cleanup();
  s = undefined;
});

/** A socket at `at` that forwards every connection to `to`, counting them. */
async function countingProxy(at: string, to: string): Promise<{ count(): number }> {
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(to);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(at, resolve));
  closers.push(() => server.close());
  return { count: () => connections };
}

describe('14 a console found by name, one session running', () => {
  it('send, expect and tee --no-follow connect once; ls once; a console it lacks, or a stale socket, is reported as before', async () => {
    s = testSessions();
    const real = path.join(s.runtime, 'real.sock');
    expect(s.cli(['run', '-d', '-S', real, '--names', 'shell', 'sh']).status).toBe(0);
    closers.push(() => s?.cli(['kill-server', '-S', real], { timeout: 10_000 }));
    // The socket directory holds only the proxy: the one session commands find.
    const dir = path.join(s.runtime, 'ptyplex');
    fs.mkdirSync(dir, { mode: 0o700 });
    const proxy = await countingProxy(path.join(dir, 'main'), real);
    const run = async (args: string[]) => {
      const before = proxy.count();
      const r = await s!.start(args).done;
      return { ...r, connections: proxy.count() - before };
    };
    expect(await run(['send', 'shell', 'echo hi-$((2+3))', '--keys', 'Enter'])).toMatchObject({ status: 0, stderr: '', connections: 1 });
    expect(await run(['expect', 'shell', 'hi-\\d'])).toMatchObject({ status: 0, stdout: 'hi-5\n', connections: 1 });
    const tee = await run(['tee', 'shell', '--no-follow']);
    expect(tee).toMatchObject({ status: 0, stderr: '', connections: 1 });
    expect(tee.stdout).toContain('hi-5');
    const ls = await run(['ls']);
    expect(ls).toMatchObject({ status: 0, connections: 1 });
    expect(ls.stdout).toMatch(/^\S+ +shell +\d+ +running /m);
    // Not there: the same line a lookup among sessions gives, still one connection.
    expect(await run(['send', 'nobody', 'x'])).toMatchObject({ status: 1, stderr: 'ptyplex: no console "nobody" in any session (main)\n', connections: 1 });
    expect(await run(['tee', 'nobody', '--no-follow'])).toMatchObject({ status: 1, stderr: 'ptyplex: no console "nobody" in any session (main)\n', connections: 1 });
    // A socket left by a server that died: no session, and the socket is removed.
    const left = path.join(s.runtime, 'left.sock');
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(left, resolve));
    fs.unlinkSync(path.join(dir, 'main'));
    fs.renameSync(left, path.join(dir, 'main'));
    await new Promise((resolve) => dead.close(resolve));
    expect(await run(['send', 'shell', 'x'])).toMatchObject({ status: 1, stderr: 'ptyplex: no session is running\n' });
    expect(fs.existsSync(path.join(dir, 'main'))).toBe(false);
  }, 60_000);
});

describe('14 ControlClient: a request that finds its console', () => {
  // A server that answers the first request with `frames`, `gap` ms apart.
  async function server(frames: object[], gap: number): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-lookup-'));
    const at = path.join(dir, 's');
    const srv = net.createServer((sock) => {
      sock.once('data', () => {
        frames.forEach((f, i) => setTimeout(() => sock.write(jsonFrame(f)), gap * (i + 1)));
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => srv.listen(at, resolve));
    closers.push(() => {
      srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return at;
  }
  const lookup = (found: () => void): ConsoleLookup => ({
    deadline: 300,
    found,
    absent: (error) => new SessionError(`absent: ${error}`),
    notResponding: (err) => new SessionError(`silent: ${err.message}`),
  });

  it('once found, a reply may take longer than the lookup deadline (a send into a console that is slow to read)', async () => {
    const at = await server([{ found: true }, { ok: true, bytes: 1 }], 200);
    const client = await ControlClient.connect(at);
    let found = 0;
    client.findFirst(lookup(() => found++));
    await expect(client.request({ op: 'send', console: 'x', data: '' })).resolves.toMatchObject({ ok: true });
    expect(found).toBe(1);
    client.destroy();
  });

  it('a server that does not say found within the deadline, or says absent, is the lookup\'s failure', async () => {
    const silent = await ControlClient.connect(await server([{ ok: true }], 600));
    silent.findFirst(lookup(() => undefined));
    await expect(silent.request({ op: 'send', console: 'x', data: '' })).rejects.toThrow(/^silent: session "s" is not responding/);
    const absent = await ControlClient.connect(await server([{ ok: false, error: 'no console "x"', absent: true }], 10));
    absent.findFirst(lookup(() => undefined));
    await expect(absent.request({ op: 'send', console: 'x', data: '' })).rejects.toThrow(/^absent: no console "x"$/);
    absent.destroy();
    // Without a lookup, the same refusal is the server's own words.
    const plain = await ControlClient.connect(await server([{ ok: false, error: 'no console "x"', absent: true }], 10));
    await expect(plain.request({ op: 'send', console: 'x', data: '' })).rejects.toThrow(/^no console "x"$/);
    plain.destroy();
  });
});
