// `ptyplex run`, driven as a user would: the real bin inside a real PTY.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import stripAnsi from 'strip-ansi';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsolePoller, ConsoleReadable, spawn } from '../src/console/index.js';
import { BIN, ptyplexInPty, ptyplexPlain } from './helpers/cli.js';
import { onlcr, sha256, sleep, textFile } from './helpers/pty.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-run-'));
const lines = (out: string) => out.split('\n').map((l) => l.replace(/\r+$/, ''));

/** True while a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const poller = new ConsolePoller();
afterAll(() => poller.close());

describe('ptyplex run', () => {
  it('three consoles with interleaved output: every line once, whole, with its own label', async () => {
    // Each line is written in two pieces, so the pieces of different
    // consoles interleave on their way in.
    const cmd = (n: string) => `i=1; while [ $i -le 150 ]; do printf "${n}-$i-"; printf "tail\\n"; i=$((i+1)); done`;
    const run = ptyplexInPty(['run', '--names', 'alpha,b,c', cmd('alpha'), cmd('b'), cmd('c')]);
    const { exit, output } = await run.done;
    expect(exit.exitCode).toBe(0);
    const seen = new Map<string, number>();
    for (const line of lines(output)) {
      if (line === '') continue;
      const m = /^(alpha|b    |c    ) \| (.*)$/.exec(line);
      expect(m, `malformed line ${JSON.stringify(line)}`).not.toBeNull();
      const [, label, text] = m!;
      if (/exited with code 0$/.test(text!)) continue;
      expect(text).toMatch(new RegExp(`^${label!.trim()}-\\d+-tail$`));
      seen.set(text!, (seen.get(text!) ?? 0) + 1);
    }
    expect(seen.size).toBe(450);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it('logs are byte for byte what each child wrote, also 8 MiB written just before exit', async () => {
    const dir = tmp();
    const { file, data } = textFile(8 << 20, 'logged');
    const run = ptyplexInPty(['run', '--names', 'big,small', '--log-dir', dir, '--log-plain',
      `cat ${file}`, 'printf "\\033[32mgreen\\033[0m plain\\n"; exit 4']);
    const { exit } = await run.done;
    expect(exit.exitCode).toBe(4);
    const big = fs.readFileSync(path.join(dir, 'big.log'));
    expect(big.length).toBe(onlcr(data).length);
    expect(sha256(big)).toBe(sha256(onlcr(data)));
    expect(fs.readFileSync(path.join(dir, 'small.log'), 'latin1')).toBe('\x1b[32mgreen\x1b[0m plain\r\n');
    expect(fs.readFileSync(path.join(dir, 'small.plain.log'), 'latin1')).toBe('green plain\r\n');
    expect(sha256(fs.readFileSync(path.join(dir, 'big.plain.log')))).toBe(sha256(stripAnsi(onlcr(data).toString())));
  });

  it('a log that cannot be written (full disk) is reported once; the console and the other logs go on', () => {
    const dir = tmp();
    fs.symlinkSync('/dev/full', path.join(dir, 'a.log'));
    const r = spawnSync(process.execPath, [BIN, 'run', '--log-dir', dir, '--names', 'a,b', 'seq 1 3000', 'seq 1 5'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`ptyplex: a: cannot write ${path.join(dir, 'a.log')}: ENOSPC; that file stops here, the console goes on\n`);
    expect(r.stdout).toMatch(/a \| 3000\r?\n/);
    expect(fs.readFileSync(path.join(dir, 'b.log'), 'utf8')).toBe('1\r\n2\r\n3\r\n4\r\n5\r\n');
  });

  it('a terminal that goes away does not stall the logs: every byte still reaches them', () => {
    const dir = tmp();
    const { file, data } = textFile(4 << 20, 'orphaned');
    // head exits after one line: ptyplex's stdout is a closed pipe from then on.
    execFileSync('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" run --log-dir ${dir} "cat ${file}" | head -c 100 > /dev/null`], { timeout: 30_000 });
    expect(sha256(fs.readFileSync(path.join(dir, 'cat.log')))).toBe(sha256(onlcr(data)));
  });

  it('recordings are asciicast v2: `asciinema cat` gives back the raw log', async () => {
    const dir = tmp();
    const { file } = textFile(256 << 10, 'recorded');
    const run = ptyplexInPty(['run', '--names', 'rec', '--log-dir', dir, '--record', dir,
      `cat ${file}; printf 'caf\\303\\251 \\342\\234\\223 done\\n'`], { cols: 91, rows: 33 });
    await run.done;
    const cast = fs.readFileSync(path.join(dir, 'rec.cast'), 'utf8').split('\n');
    const header = JSON.parse(cast[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ version: 2, width: 91, height: 33, title: 'rec' });
    expect(String(header.command)).toContain(file);
    // asciinema wants a terminal: give it a PTY with output post-processing
    // off, so what it prints arrives byte for byte.
    const player = spawn('/bin/sh', ['-c', `stty -opost; exec asciinema cat ${path.join(dir, 'rec.cast')}`], { poller });
    const chunks: Buffer[] = [];
    for await (const c of new ConsoleReadable(player.console)) chunks.push(c as Buffer);
    expect(await player.exited).toEqual({ exitCode: 0, signal: null });
    const played = Buffer.concat(chunks);
    const raw = fs.readFileSync(path.join(dir, 'rec.log'));
    expect(played.length).toBe(raw.length);
    expect(played.equals(raw)).toBe(true);
  });

  it('colours labels unless told not to; timestamps; a partial line is flushed with a marker', () => {
    const cmds = ['printf "prompt> "; sleep 1; echo answered', 'echo other'];
    const coloured = ptyplexPlain(['run', '--color', '-t', '--names', 'ask,b', ...cmds]);
    expect(coloured.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \x1b\[36mask \| \x1b\[39mprompt> \x1b\[7m%\x1b\[27m\r?$/m);
    expect(coloured.stdout).toMatch(/\x1b\[33mb   \| \x1b\[39mother/);
    expect(coloured.stdout).toMatch(/ask \| \x1b\[39manswered/);
    for (const env of [{ NO_COLOR: '1', FORCE_COLOR: '1' }, { FORCE_COLOR: '0' }]) {
      const plain = spawnSync(process.execPath, [BIN, 'run', '--names', 'ask,b', ...cmds], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(plain.stdout).toMatch(/^ask \| prompt> %\r?$/m);
      expect(plain.stdout).not.toContain('\x1b[');
    }
    expect(ptyplexPlain(['run', '--no-color', '--prefix', 'echo x']).stdout).toMatch(/^echo \| x\r?$/m);
  });

  it('--success picks the status; a signal N counts as 128+N', () => {
    const two = ['exit 3', 'sleep 0.5; exit 0'];
    expect(ptyplexPlain(['run', ...two]).status).toBe(3);
    expect(ptyplexPlain(['run', '--success', 'first', ...two]).status).toBe(3);
    expect(ptyplexPlain(['run', '--success', 'last', ...two]).status).toBe(0);
    const killed = ptyplexPlain(['run', '--names', 'db', 'kill -TERM $$']);
    expect(killed.status).toBe(143);
    expect(killed.stdout).toContain('db killed by SIGTERM');
    const ok = ptyplexPlain(['run', '--names', 'web', 'exit 0']);
    expect(ok.stdout).toContain('web exited with code 0');
    expect(ok.status).toBe(0);
  });

  it('each console gets PTYPLEX, its name, a PTY and its own process group', () => {
    const r = ptyplexPlain(['run', '--names', 'envy', 'echo "$PTYPLEX/$PTYPLEX_CONSOLE/$(cut -d" " -f5 /proc/$$/stat)/$$"; tty']);
    const m = /(\d)\/envy\/(\d+)\/(\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe('1');
    expect(m![2]).toBe(m![3]);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('Ctrl-C stops a child that ignores SIGINT within the kill timeout; no grandchild survives', async () => {
    const run = ptyplexInPty(['run', '--names', 'stubborn,parent', '--kill-timeout', '1s',
      "trap '' INT; echo started; while :; do sleep 1; done",
      'sleep 1000 & echo "bg=$!"; wait']);
    await run.waitFor(/bg=\d+/);
    await run.waitFor('started');
    const bg = Number(/bg=(\d+)/.exec(run.output())![1]);
    expect(alive(bg)).toBe(true);
    const t0 = Date.now();
    await run.type('\x03');
    const { exit, output } = await run.done;
    const took = Date.now() - t0;
    expect(took).toBeLessThan(4500); // 1 s of grace, not the default 5 s
    expect(took).toBeGreaterThanOrEqual(900); // the grace was honoured
    expect(output).toContain('stubborn killed by SIGKILL');
    expect(exit.exitCode).not.toBe(0);
    await sleep(100);
    expect(alive(bg)).toBe(false);
  });

  it('a second Ctrl-C kills at once', async () => {
    const run = ptyplexInPty(['run', '--names', 'stubborn', "trap '' INT; echo started; while :; do sleep 1; done"]);
    await run.waitFor('started');
    const t0 = Date.now();
    await run.type('\x03');
    await run.waitFor('stopping');
    await run.type('\x03');
    await run.done;
    expect(Date.now() - t0).toBeLessThan(4500); // the default kill timeout is 5 s
  });

  it('consoles follow the terminal size: tput cols sees the new width', async () => {
    const dir = tmp();
    const run = ptyplexInPty(['run', '--names', 'w', '--record', dir, 'while :; do echo "cols=$(tput cols)"; sleep 0.1; done'], { cols: 100, rows: 30 });
    await run.waitFor('cols=100');
    run.resize(123, 41);
    await run.waitFor('cols=123');
    await run.type('\x03');
    await run.done;
    expect(fs.readFileSync(path.join(dir, 'w.cast'), 'utf8')).toMatch(/^\[[\d.]+, ?"r", ?"123x41"\]$/m);
  });

  it('bad input: one line on stderr, a documented status, no stack trace', () => {
    const dir = tmp();
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const cases: Array<[string[], number, RegExp]> = [
      [['run', '--bogus', 'true'], 64, /Unknown argument: bogus/],
      [['run', ''], 64, /command 1 is empty/],
      [['run', '--names', 'a,a', 'true', 'true'], 64, /duplicate console name "a"/],
      [['run', '--names', 'a', 'true', 'true'], 64, /--names gives 1 name for 2 commands/],
      [['run', '--kill-timeout', 'soon', 'true'], 64, /--kill-timeout: bad duration/],
      [['run', '-f', file('Procfile', 'web: true\n# comment\n\nnoname\n')], 65, /Procfile:4: expected "name: command"/],
      [['run', '-f', file('Procfile2', 'web: true\nweb: false\n')], 65, /Procfile2:2: duplicate console name "web"/],
      [['run', '-f', path.join(dir, 'missing.yaml')], 66, /cannot read .*missing.yaml: ENOENT/],
      [['run', '-f', file('bad.yaml', 'consoles:\n  web: true\n  db: [unclosed\n')], 65, /bad.yaml:\d+: /],
      [['run', '-f', file('keys.yaml', 'consoles:\n  web:\n    cmd: true\n    colour: red\n')], 65, /keys.yaml:4: console "web": unknown key "colour"/],
      [['run', '--log-dir', path.join(file('plainfile', ''), 'logs'), 'true'], 73, /cannot write .*ENOTDIR/],
      [['run', '-f', file('cwd.yaml', 'consoles:\n  web:\n    cmd: pwd\n    cwd: /no/such/dir\n')], 66, /console "web": cwd \/no\/such\/dir is not a directory/],
    ];
    for (const [args, status, message] of cases) {
      const r = ptyplexPlain(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a command that does not exist ends with 127 and says so; the others keep running', () => {
    const r = ptyplexPlain(['run', '--names', 'ghost,alive', 'no-such-command-xyz', 'sleep 0.5; echo still-here']);
    expect(r.status).toBe(127);
    expect(r.stdout).toContain('ghost exited with code 127 (command not found)');
    expect(r.stdout).toContain('still-here');
    expect(r.stdout).toContain('alive exited with code 0');
  });

  it('reads a Procfile and a ptyplex.yaml', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'Procfile'), '# two\nweb: echo from-web\nworker: echo from-worker\n');
    const p = ptyplexPlain(['run'], { cwd: dir });
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/^web +\| from-web/m);
    expect(p.stdout).toMatch(/^worker +\| from-worker/m);
    fs.writeFileSync(path.join(dir, 'ptyplex.yaml'),
      'consoles:\n  api:\n    cmd: echo "$GREETING $(pwd) $(tput cols)"\n    cwd: /tmp\n    env: { GREETING: hello }\n    cols: 77\n');
    const y = ptyplexPlain(['run', '-f', 'ptyplex.yaml'], { cwd: dir });
    expect(y.status).toBe(0);
    expect(y.stdout).toContain('hello /tmp 77');
  });

  it('--help of every command agrees with the man page', () => {
    const man = fs.readFileSync(path.join(path.dirname(BIN), '..', 'man', 'ptyplex.1'), 'utf8');
    const commands = ['run', 'ls', 'attach', 'tee', 'send', 'expect', 'new', 'adopt', 'stop', 'start', 'restart', 'kill-server'];
    const top = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    for (const command of commands) {
      expect(top, `ptyplex --help lacks ${command}`).toContain(`ptyplex ${command}`);
      expect(man, `man page lacks the command ${command}`).toMatch(new RegExp(`\\.B ptyplex ${command.replace(/-/g, '\\\\-')}`));
      const help = execFileSync(process.execPath, [BIN, command, '--help'], { encoding: 'utf8' });
      const options = [...help.matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1]!);
      expect(options.length, command).toBeGreaterThan(2);
      for (const o of new Set(options)) expect(man, `man page lacks --${o} (${command})`).toContain(`\\-\\-${o.replace(/-/g, '\\-')}`);
    }
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES']) {
      expect(man).toContain(`.SH "${section}"`);
    }
  });
});
