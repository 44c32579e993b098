// The executable runs the CLI bundled at build time (scripts/bundle.js), not
// the compiled sources: it must answer exactly as they do, start from one
// file of its own, and know its own version wherever it is run from.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';

const root = path.join(path.dirname(BIN), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-bundle-'));
fs.chmodSync(dir, 0o700);
// No session anywhere: ls and lookups answer alike from both.
const env = { ...process.env, XDG_RUNTIME_DIR: dir, PTYPLEX_SOCKET: '', NO_COLOR: '1' };
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Answer = { status: number | null; stdout: string; stderr: string };
const answer = (r: ReturnType<typeof spawnSync>): Answer => ({ status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) });

function bundled(args: string[], cwd = root): Answer {
  return answer(spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 }));
}

// The same command line through dist/cli/main.js, as tsc compiled it.
function compiled(args: string[]): Answer {
  const main = path.join(root, 'dist/cli/main.js');
  const script = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1));`;
  return answer(spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 }));
}

describe('the bundled CLI', () => {
  it('answers help, version and every kind of usage error exactly as the compiled sources do', () => {
    const cases = [
      ['--help'],
      ['--version'],
      ['run', '--help'],
      ['attach', '--help'],
      ['send', '--help'],
      ['stop', '--help'],
      [],
      ['bogus'],
      ['send'],
      ['ls', '--bogus'],
      ['run', '--success', 'nope', 'true'],
      ['expect', 'x', '('],
      ['tee', 'nobody', '--no-follow'],
    ];
    for (const args of cases) {
      const want = compiled(args);
      expect(bundled(args), args.join(' ') || '(nothing)').toEqual(want);
    }
    // The cases cover both outcomes: help on stdout, one-line errors on stderr.
    expect(bundled(['--help']).stdout).toContain('Commands:');
    expect(bundled(['bogus']).stderr).toBe('ptyplex: Unknown argument: bogus\n');
  });

  it('prints its own version even where another package.json is nearer', () => {
    const other = path.join(dir, 'project');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    const own = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(bundled(['--version'], other)).toEqual({ status: 0, stdout: `${own}\n`, stderr: '' });
  });

  it('runs the compiled sources instead of a bundle older than them (tsc run alone), and the bundle otherwise', () => {
    // A copy of the package whose bundle only says it ran.
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(copy);
    fs.cpSync(path.join(root, 'bin'), path.join(copy, 'bin'), { recursive: true });
    fs.cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    for (const f of ['node_modules', 'build', 'package.json']) fs.symlinkSync(path.join(root, f), path.join(copy, f));
    const bundle = path.join(copy, 'dist/ptyplex-cli.cjs');
    fs.writeFileSync(bundle, 'exports.main = async () => { process.stdout.write("bundle\\n"); return 0; };\n');
    const run = () => answer(spawnSync(process.execPath, [path.join(copy, 'bin/ptyplex.js'), '--version'], { env, encoding: 'utf8', timeout: 30_000 }));
    const compiledAt = fs.statSync(path.join(copy, 'dist/cli/main.js')).mtime;
    fs.utimesSync(bundle, compiledAt, new Date(compiledAt.getTime() - 60_000));
    expect(run().stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    fs.utimesSync(bundle, compiledAt, new Date(compiledAt.getTime() + 60_000));
    expect(run().stdout).toBe('bundle\n');
  });

  it('starts from one file of its own, without the ES module loader, and reads yaml only for YAML', () => {
    // Which files a command loaded, reported at exit by the same process.
    const loaded = (args: string[], cwd = root) => {
      const script = `process.argv = [process.execPath, ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}];
        require(${JSON.stringify(BIN)});
        process.on('exit', () => require('node:fs').writeSync(3, JSON.stringify({
          files: Object.keys(require.cache),
          esm: process.moduleLoadList.some((m) => m.includes('esm/translators')),
        })));`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 30_000 });
      return JSON.parse(String(r.output[3])) as { files: string[]; esm: boolean };
    };
    const ours = (files: string[]) => files.filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`)).map((f) => path.relative(root, f)).sort();
    const version = loaded(['--version']);
    expect(version.esm).toBe(false);
    expect(ours(version.files)).toEqual(['bin/load-bundle.js', 'bin/ptyplex.js', 'dist/ptyplex-cli.cjs', 'package.json']);
    // A ptyplex.yaml: now yaml's file is read, and still nothing of ours besides.
    const project = path.join(dir, 'yaml-project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'ptyplex.yaml'), 'consoles:\n  a:\n    cmd: "true"\n');
    const yaml = loaded(['run', '-f', 'ptyplex.yaml', '--no-color'], project);
    expect(yaml.esm).toBe(false);
    expect(ours(yaml.files)).toEqual(['bin/load-bundle.js', 'bin/ptyplex.js', 'build/Release/ptyplex.node', 'dist/ptyplex-cli.cjs', 'dist/ptyplex-yaml.cjs', 'package.json']);
  });

  it('starts from the code cache the build wrote, and never from a cache of another build', () => {
    // Loads BUNDLE through the executable's loader with CACHE, runs it with
    // no command (a usage error, on stderr) and says whether V8 took the cache.
    const load = (bundle: string, cache: string) => {
      const script = `const { loadBundle } = require(${JSON.stringify(path.join(root, 'bin/load-bundle.js'))});
        const r = loadBundle(${JSON.stringify(bundle)}, ${JSON.stringify(cache)});
        r.exports.main([]).then(() => process.stdout.write(JSON.stringify({ cacheUsed: r.cacheUsed })));`;
      const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
      return { ...(JSON.parse(r.stdout) as { cacheUsed: boolean }), stderr: r.stderr };
    };
    const bundle = path.join(root, 'dist/ptyplex-cli.cjs');
    const own = load(bundle, `${bundle}.cache`);
    expect(own.cacheUsed).toBe(true);
    expect(own.stderr).toMatch(/^ptyplex: give a command: /);
    // Another build of the same length (V8 checks only the length): its
    // own text must run, not the cached code of the first.
    const source = fs.readFileSync(bundle, 'utf8');
    const other = source.replace(/^\/\/ptyplex-build [0-9a-f]+/, (line) => line.slice(0, 16) + '0'.repeat(line.length - 16)).replace('"give a command: ', '"GIVE A COMMAND: ');
    expect(other.length).toBe(source.length);
    expect(other).not.toBe(source);
    // Beside what it finds relative to itself: package.json, the addon.
    const pkg = path.join(dir, 'other-build');
    fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    for (const f of ['node_modules', 'build', 'package.json']) fs.symlinkSync(path.join(root, f), path.join(pkg, f));
    const copy = path.join(pkg, 'dist/ptyplex-cli.cjs');
    fs.writeFileSync(copy, other);
    const stale = load(copy, `${bundle}.cache`);
    expect(stale.cacheUsed).toBe(false);
    expect(stale.stderr).toMatch(/^ptyplex: GIVE A COMMAND: /);
  });

  it('builds no stdout stream for a command that prints nothing, loads no ssh, and reads no directory to guess a version', () => {
    // A command run in this process, watched: whether process.stdout was
    // built (a pipe's is a net.Socket), and which directories were read.
    const watched = (args: string[], cwd: string) => {
      const script = `const fs = require('node:fs');
        const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
        let built = false;
        Object.defineProperty(process, 'stdout', { ...stdout, get() { built = true; return stdout.get.call(process); } });
        const dirs = [];
        const readdirSync = fs.readdirSync;
        fs.readdirSync = (dir, ...rest) => (dirs.push(String(dir)), readdirSync(dir, ...rest));
        process.argv = [process.execPath, ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}];
        require(${JSON.stringify(BIN)});
        process.on('exit', () => fs.writeSync(3, JSON.stringify({ built, dirs, childProcess: process.moduleLoadList.includes('NativeModule child_process') })));`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 30_000 });
      return { ...(JSON.parse(String(r.output[3])) as { built: boolean; dirs: string[]; childProcess: boolean }), stderr: String(r.stderr) };
    };
    const deep = path.join(dir, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    // No session: send fails with one line on stderr, having printed nothing.
    const send = watched(['send', 'x', 'y'], deep);
    expect(send.stderr).toBe('ptyplex: no session is running\n');
    expect(send.built).toBe(false);
    // Nor ssh's dialer, and with it child_process: a local command has no use for them.
    expect(send.childProcess).toBe(false);
    // --version prints, from ptyplex's own package.json, with no search upwards from the cwd.
    const version = watched(['--version'], deep);
    expect(version).toMatchObject({ built: true, dirs: [], stderr: '' });
  });
});
