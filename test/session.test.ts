// The session server and its clients, as a user drives them: a detached
// `run`, then ls, send, expect, tee, new and kill-server from other
// processes, over the real control socket. Bad input (garbage on the
// socket, another uid, a socket directory others can enter, stale sockets)
// is refused with a reason while everyone else is still served.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ptyplexAsNobody } from './helpers/as-nobody.js';
import { needsRoot } from './helpers/needs-root.js';
import { ptyplexInPty } from './helpers/cli.js';
import { sha256, sleep, textFile } from './helpers/pty.js';
import { testSessions, until, type TestSessions } from './helpers/session.js';

let s: TestSessions;

/** True while a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
afterEach(() => s?.cleanup());

/** Sends raw bytes to a socket and collects everything until it closes. */
function rawExchange(socket: string, bytes: Buffer, opts: { end?: boolean } = {}): Promise<{ reply: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const sock = net.connect(socket, () => {
      sock.write(bytes);
      if (opts.end) sock.end();
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => resolve({ reply: Buffer.concat(chunks), ms: Date.now() - started }));
  });
}

/** The JSON error message in a server's reply frame. */
function replyError(reply: Buffer): string {
  expect(reply.length).toBeGreaterThan(5);
  expect(reply[4]).toBe(0x01);
  return (JSON.parse(reply.subarray(5, 4 + reply.readUInt32BE(0)).toString()) as { error: string }).error;
}

function header(length: number, type: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(length, 0);
  h[4] = type;
  return h;
}

/** A stop script in a file of its own. */
function scriptFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-script-')), 'stop.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** A well-framed message of the given type (its length right). */
function frame(type: number, payload: string): Buffer {
  return Buffer.concat([header(Buffer.byteLength(payload) + 1, type), Buffer.from(payload)]);
}

describe('a detached session', () => {
  it('run -d returns once started; ls shows each console; send, expect and tee reach it', () => {
    s = testSessions();
    const started = s.cli(['run', '-d', '--cols', '90', '--rows', '20', '--names', 'sh,ticker', 'sh', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done']);
    expect(started).toMatchObject({ status: 0, stderr: '' });
    const dir = path.join(s.runtime, 'ptyplex');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'default')).mode & 0o777).toBe(0o600);

    const info = s.describe();
    expect(info.consoles.map((c) => [c.name, c.state, c.cols, c.rows])).toEqual([
      ['sh', 'running', 90, 20],
      ['ticker', 'running', 90, 20],
    ]);
    for (const c of info.consoles) expect(fs.existsSync(`/proc/${c.pid}`)).toBe(true);
    const table = s.cli(['ls']);
    expect(table.stdout).toMatch(/^SESSION +CONSOLE +PID +STATE +RESTARTS +SIZE +OUT +CLIENTS +UPTIME\n/);
    expect(table.stdout).toMatch(/\ndefault +sh +\d+ +running +0 +90x20 /);

    expect(s.cli(['send', 'sh', '--keys', 'echo', 'answer-$((6*7))', 'Enter'])).toMatchObject({ status: 0 });
    // The typed line is echoed as typed ("answer-$((6*7))"): only the
    // shell's answer has digits right after the dash.
    expect(s.cli(['expect', 'sh', 'answer-\\d+'])).toMatchObject({ status: 0, stdout: 'answer-42\n' });

    const held = s.cli(['tee', 'ticker', '--no-follow']);
    expect(held.status).toBe(0);
    expect(held.stdout).toMatch(/^tick 1\r\ntick 2\r\n/);
    expect(s.describe().consoles[1]!.bytesOut).toBeGreaterThanOrEqual(Buffer.byteLength(held.stdout));
  });

  it('expect: a timeout exits 124, a bad regex is a one-line usage error, and it looks only after the last input', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'sh', 'sh']).status).toBe(0);
    s.cli(['send', 'sh', 'echo first-mark\n']);
    expect(s.cli(['expect', 'sh', '^first-mark']).status).toBe(0);
    // New input moves the mark: the old answer no longer counts.
    s.cli(['send', 'sh', 'echo second\n']);
    const stale = s.cli(['expect', 'sh', '^first-mark', '--timeout', '700ms']);
    expect(stale.status).toBe(124);
    expect(stale.stderr).toBe('ptyplex: timed out after 700ms waiting for /^first-mark/ on sh\n');
    const bad = s.cli(['expect', 'sh', '(unclosed']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/^ptyplex: bad regular expression: .*\n$/);
  });

  it('tee follows several consoles with labels until they end; the end is reported, the exit status kept in ls', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'a,bb,keep', 'sleep 0.8; echo from-a; exit 3', 'sleep 0.8; printf "from-bb\\n"', 'sleep 30']).status).toBe(0);
    const tee = s.start(['tee', 'a', 'bb']);
    const r = await tee.done;
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['a  | from-a\r', 'bb | from-bb\r']);
    const consoles = s.describe().consoles;
    expect(consoles.find((c) => c.name === 'a')).toMatchObject({ state: 'exited', exitCode: 3, signal: null });
    expect(consoles.find((c) => c.name === 'bb')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(consoles.find((c) => c.name === 'keep')).toMatchObject({ state: 'running' });
    // An ended console can still be read back; it cannot be typed into.
    expect(s.cli(['tee', 'a', '--no-follow']).stdout).toBe('from-a\r\n');
    expect(s.cli(['send', 'a', 'x'])).toMatchObject({ status: 1, stderr: 'ptyplex: console "a" has ended: a exited with code 3\n' });
  });

  it('new adds a console to the running session (logged like the others); kill-server ends everything', async () => {
    s = testSessions();
    const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-logs-'));
    expect(s.cli(['run', '-d', '--log-dir', logs, '--names', 'first', 'sleep 60']).status).toBe(0);
    expect(s.cli(['new', 'second', '--', 'sh', '-c', 'echo "added $0"; sleep 60', 'it'])).toMatchObject({ status: 0, stderr: '' });
    await until(() => fs.existsSync(path.join(logs, 'second.log')) && fs.readFileSync(path.join(logs, 'second.log'), 'utf8').includes('added it'), 'the new console in its log');
    const info = s.describe();
    expect(info.consoles.map((c) => c.name)).toEqual(['first', 'second']);
    expect(s.cli(['new', 'second', '--', 'true'])).toMatchObject({ status: 1, stderr: 'ptyplex: session "default" already has a console "second"\n' });
    // A usage error (64) in one line, not a crash.
    const bad = s.cli(['new', '-bad', '--', 'true']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/^ptyplex: [^\n]+\n$/);

    expect(s.cli(['kill-server'])).toMatchObject({ status: 0 });
    // kill-server returns once every console is gone and the server has
    // closed its socket; the server process itself exits right after.
    for (const c of info.consoles) expect(alive(c.pid), c.name).toBe(false);
    expect(fs.existsSync(info.socket)).toBe(false);
    await until(() => !alive(info.pid), 'the server process to exit');
    expect(s.cli(['ls'])).toMatchObject({ status: 1, stderr: 'ptyplex: no sessions\n' });
  });

  it('sessions by name (-L) and by path (-S); a taken name is refused; without -L a second run gets default-2', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '-L', 'work', '--names', 'w', 'sleep 60']).status).toBe(0);
    const again = s.cli(['run', '-d', '-L', 'work', '--names', 'w', 'sleep 60']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^ptyplex: session "work" is already running \(.*\/ptyplex\/work\)\n$/);
    expect(s.cli(['run', '-d', '--names', 'x', 'sleep 60']).status).toBe(0);
    expect(s.cli(['run', '-d', '--names', 'y', 'sleep 60']).status).toBe(0);
    const sock = path.join(s.runtime, 'elsewhere.sock');
    expect(s.cli(['run', '-d', '-S', sock, '--names', 'z', 'sleep 60']).status).toBe(0);
    const names = (JSON.parse(s.cli(['ls', '--json']).stdout) as Array<{ name: string }>).map((x) => x.name);
    expect(names).toEqual(['default', 'default-2', 'work']);
    expect(s.describe('default-2').consoles[0]!.name).toBe('y');
    expect((JSON.parse(s.cli(['ls', '--json', '-S', sock]).stdout) as Array<{ name: string }>)[0]!.name).toBe('elsewhere.sock');
    // A console name found in exactly one session needs no -L.
    expect(s.cli(['tee', 'y', '--no-follow']).status).toBe(0);
    expect(s.cli(['kill-server', '-S', sock]).status).toBe(0);
  });

  it('a stale socket (server killed) is removed, not listed, and its name can be used again', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'v', 'sleep 60']).status).toBe(0);
    const info = s.describe();
    process.kill(info.pid, 'SIGKILL');
    await until(() => !alive(info.pid), 'the server to die');
    expect(fs.existsSync(info.socket)).toBe(true);
    expect(s.cli(['ls'])).toMatchObject({ status: 1, stderr: 'ptyplex: no sessions\n' });
    expect(fs.existsSync(info.socket)).toBe(false);
    fs.writeFileSync(info.socket, '');
    expect(s.cli(['ls'])).toMatchObject({ status: 1 });
    expect(s.cli(['run', '-d', '--names', 'v', 'sleep 60'])).toMatchObject({ status: 1, stderr: `ptyplex: ${info.socket} exists and is not a socket; refusing to replace it\n` });
    expect(s.cli(['ls', '-S', info.socket])).toMatchObject({ status: 1, stderr: `ptyplex: ${info.socket} is not a socket\n` });
    fs.unlinkSync(info.socket);
    expect(s.cli(['run', '-d', '--names', 'v', 'sleep 60']).status).toBe(0);
  });

  it('refuses a socket directory that others can enter or that is not ours, saying why', () => {
    s = testSessions();
    const dir = path.join(s.runtime, 'ptyplex');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    const open = s.cli(['run', '-d', '--names', 'v', 'sleep 60']);
    expect(open).toMatchObject({ status: 1, stderr: `ptyplex: socket directory ${dir} is open to group or others (mode 0755); refusing to use it (chmod 700 it)\n` });
    expect(s.cli(['ls']).stderr).toMatch(/open to group or others/);
    fs.chmodSync(dir, 0o700);
    fs.chownSync(dir, 65534, 65534);
    expect(s.cli(['run', '-d', '--names', 'v', 'sleep 60']).stderr).toBe(`ptyplex: socket directory ${dir} belongs to uid 65534, not to you (uid 0); refusing to use it\n`);
  });

  it('12.12 another user (nobody) is refused by uid even when the socket file lets them in (wherever the checkout lives)', () => {
    needsRoot('it runs a client as the user nobody');
    s = testSessions();
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-shared-'));
    fs.chmodSync(shared, 0o755);
    const sock = path.join(shared, 'open.sock');
    expect(s.cli(['run', '-d', '-S', sock, '--names', 'v', 'sleep 60']).status).toBe(0);
    fs.chmodSync(sock, 0o777); // What a careless user might do: now only the uid check stands.
    // From a copy nobody can read: the checkout may be private to its owner.
    const asNobody = ptyplexAsNobody(['ls', '-S', sock]);
    expect(asNobody.stderr).toBe('ptyplex: refused: this session belongs to uid 0; you are uid 65534\n');
    expect(asNobody.status).toBe(1);
    expect(fs.readFileSync(`${sock}.log`, 'utf8')).toMatch(/client dropped: refused: .* uid 65534/);
    // The owner is still served.
    expect(s.cli(['ls', '-S', sock]).status).toBe(0);
    expect(s.cli(['kill-server', '-S', sock]).status).toBe(0);
  });

  it('garbage, oversized, truncated and silent clients are told why and dropped; the session keeps serving', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'sh', 'sh']).status).toBe(0);
    const sock = s.describe().socket;
    const cases: Array<[string, Buffer, RegExp]> = [
      ['plain text', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /^protocol error: (unknown frame type|frame of \d+ bytes)/],
      ['unknown frame type', frame(0x47, 'hi'), /^protocol error: unknown frame type 0x47$/],
      ['oversized JSON', header(10 * 1024 * 1024, 0x01), /^protocol error: frame of 10485759 bytes \(most is 65536\)$/],
      ['not JSON', frame(0x01, '{nope'), /^protocol error: a message that is not JSON$/],
      ['a JSON array', frame(0x01, '[]'), /^protocol error: a message that is not a JSON object$/],
      ['data before a request', frame(0x02, 'ls'), /^protocol error: data before a request$/],
      ['unknown op', frame(0x01, '{"op":"format"}'), /^protocol error: unknown request "format"$/],
      ['a field of the wrong type', frame(0x01, '{"op":"send","console":42}'), /^protocol error: "console" must be a string$/],
      ['unknown console', frame(0x01, '{"op":"tee","console":"nope"}'), /^no console "nope" in session "default" \(it has: sh\)$/],
    ];
    for (const [what, bytes, reason] of cases) {
      const { reply } = await rawExchange(sock, bytes);
      expect(replyError(reply), what).toMatch(reason);
    }
    // Truncated: a header promising more than is ever sent, then silence.
    const truncated = await rawExchange(sock, Buffer.concat([header(100, 0x01), Buffer.from('{"op":')]));
    expect(replyError(truncated.reply)).toBe('no request within 5s');
    expect(truncated.ms).toBeGreaterThanOrEqual(4900);
    // Through all of it, the console and the server were unharmed.
    s.cli(['send', 'sh', 'echo still-$((1+1))\n']);
    expect(s.cli(['expect', 'sh', 'still-\\d']).stdout).toBe('still-2\n');
    expect(fs.readFileSync(`${sock}.log`, 'utf8')).toMatch(/client dropped: protocol error: unknown frame type 0x47/);
  });

  it('a foreground run serves its socket too: send reaches a console, new adds a labelled one; the socket goes with it', async () => {
    s = testSessions();
    const run = ptyplexInPty(['run', '--names', 'sh,idle', 'sh', 'sleep 60'], { env: s.env });
    await until(() => fs.existsSync(path.join(s.runtime, 'ptyplex', 'default')), 'the socket');
    await until(() => s.cli(['ls', '--json']).status === 0, 'the server to answer');
    expect(s.describe().consoles.map((c) => c.name)).toEqual(['sh', 'idle']);
    s.cli(['send', 'sh', 'echo typed-$((2+3))\n']);
    // Bash as sh switches bracketed paste around each command line.
    await run.waitFor(/sh   \| (\x1b\[\?2004l\r?)?typed-5/);
    expect(s.cli(['new', 'late', '--', 'echo hello from late; sleep 60'])).toMatchObject({ status: 0 });
    await run.waitFor(/late \| hello from late/);
    expect(s.cli(['kill-server']).status).toBe(0);
    const { exit } = await run.done;
    // SIGHUP ends each console, as a closed terminal would.
    expect(exit.exitCode).toBe(128 + 1);
    expect(fs.existsSync(path.join(s.runtime, 'ptyplex', 'default'))).toBe(false);
  });

  it('--replay-size bounds what is kept: tee --no-follow gives the tail, from a whole line', () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--replay-size', '1k', '--names', 'many', 'seq 1 2000; sleep 60']).status).toBe(0);
    const tail = s.cli(['tee', 'many', '--no-follow']).stdout;
    expect(tail.length).toBeLessThanOrEqual(1024);
    expect(tail.length).toBeGreaterThan(1024 - 8);
    expect(tail).toMatch(/^\d+\r\n/);
    expect(tail.endsWith('1999\r\n2000\r\n')).toBe(true);
    expect(s.describe().consoles[0]!.bytesOut).toBe([...Array(2000).keys()].reduce((n, i) => n + String(i + 1).length + 2, 0));
  });

  it('a console that reads no input keeps neither an attached client nor a stop waiting', async () => {
    s = testSessions();
    expect(s.cli(['run', '-d', '--names', 'deaf', 'stty raw -echo; sleep 1000']).status).toBe(0);
    await sleep(300);
    // An attached client floods it with keys, then detaches: the server
    // hangs up at once; the keys it could not queue were dropped, not read later.
    const sock = s.describe().socket;
    const closed = new Promise<number>((resolve) => {
      const conn = net.connect(sock, () => {
        conn.write(frame(0x01, JSON.stringify({ op: 'attach', console: 'deaf', cols: 80, rows: 24 })));
        const keys = Buffer.alloc(60 * 1024, 0x61);
        for (let i = 0; i < 40; i++) conn.write(frame(0x02, keys.toString()));
        conn.write(frame(0x01, JSON.stringify({ op: 'detach' })));
        const t0 = Date.now();
        conn.resume();
        conn.on('close', () => resolve(Date.now() - t0));
      });
    });
    expect(await closed).toBeLessThan(8000);
    expect(s.describe().consoles[0]!.clients).toBe(0);
    // A stop whose first step types into it goes on to the next step.
    const r = s.cli(['stop', '--json', '--script', scriptFile('consoles:\n  deaf:\n    stop:\n      - send: "quit\\n"\n      - signal: SIGTERM\n      - wait: 2s\n')]);
    const report = JSON.parse(r.stdout) as { consoles: Array<{ endedBy: string; steps: Array<{ outcome: string }> }> };
    expect(report.consoles[0]!.steps.map((x) => x.outcome)).toEqual(['timed out', 'done', 'ended']);
    expect(report.consoles[0]!.endedBy).toBe('wait 2s');
  });

  it('a viewer that keeps reading, but slowly, does not pace the console: it is cut loose and told', async () => {
    s = testSessions();
    const { file } = textFile(32 * 1024 * 1024, 'slowviewer');
    expect(s.cli(['run', '-d', '--names', 'big', `read go; cat ${file}; sleep 60`]).status).toBe(0);
    const sock = s.describe().socket;
    const events: string[] = [];
    const conn = net.connect(sock, () => conn.write(frame(0x01, JSON.stringify({ op: 'tee', console: 'big', follow: true }))));
    // About 1.3 MB/s: 64 KiB, then a 50 ms nap. The console can go 20x faster.
    conn.on('data', (d: Buffer) => {
      if (d.includes('"skipped"')) events.push('skipped');
      conn.pause();
      setTimeout(() => conn.resume(), 50);
    });
    await sleep(500);
    const t0 = Date.now();
    s.cli(['send', 'big', 'go\n']);
    await until(() => s.describe().consoles[0]!.bytesOut >= 32 * 1024 * 1024, 'the console to write it all', 30_000);
    const took = Date.now() - t0;
    // Reading at the viewer's pace would take over 24 s.
    expect(took).toBeLessThan(16_000);
    await until(() => events.includes('skipped'), 'the viewer to be told it skipped', 15_000);
    conn.destroy();
  });

  it('ten followers of a console writing 64 MiB, one stopped for 5 s: the nine and the log get every byte, the stopped one skips', async () => {
    s = testSessions();
    const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-fan-'));
    const { file } = textFile(64 * 1024 * 1024, 'fanout');
    // The console waits for "go", so every follower is in place before the first byte.
    expect(s.cli(['run', '-d', '--log-dir', logs, '--names', 'big', `read go; cat ${file}; read done`]).status).toBe(0);
    const outs = Array.from({ length: 10 }, (_, i) => path.join(logs, `client${i}.out`));
    const followers = outs.map((o) => s.start(['tee', 'big', '-o', o]));
    await until(() => outs.every((o) => fs.existsSync(o)), 'every follower to connect');
    await sleep(300);
    // Stopped before the first byte: it never reads any of it in time.
    followers[0]!.kill('SIGSTOP');
    const stoppedAt = Date.now();
    s.cli(['send', 'big', 'go\n']);
    const fullSize = fs.statSync(file).size;
    // The stopped follower does not hold the console: all 64 MiB are
    // written while it is still stopped.
    await until(() => s.describe().consoles[0]!.bytesOut >= fullSize, 'the whole file to be written while one follower is stopped', 60_000);
    await sleep(Math.max(0, 5000 - (Date.now() - stoppedAt)));
    followers[0]!.kill('SIGCONT');
    await sleep(500);
    s.cli(['send', 'big', 'done\n']);
    const results = await Promise.all(followers.map((f) => f.done));
    const log = fs.readFileSync(path.join(logs, 'big.log'));
    const logSum = sha256(log);
    for (let i = 1; i < 10; i++) {
      expect(results[i], `follower ${i}`).toMatchObject({ status: 0, stderr: '' });
      expect(sha256(fs.readFileSync(outs[i]!)), `follower ${i}`).toBe(logSum);
    }
    expect(results[0]!.stderr).toMatch(/^ptyplex: big: fell behind, skipped \d+ bytes\n$/);
    expect(fs.statSync(outs[0]!).size).toBeLessThan(log.length);
    // The log is the console's output exactly: the file (as the PTY sends it, \n as \r\n) between the typed lines.
    expect(log.includes(fs.readFileSync(file).subarray(0, 4096).toString().replace(/\n/g, '\r\n'))).toBe(true);
    expect(log.length).toBeGreaterThan(fullSize);
  }, 120_000);
});
