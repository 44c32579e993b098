#!/usr/bin/env node
// The second half of `npm run build`: bundles the CLI that tsc compiled into
// dist/ into one CommonJS file, dist/ptyplex-cli.cjs, so a command starts by
// reading one file instead of resolving and opening some 150 ES modules
// (yargs alone is 40), and without Node's ES module loader. Each command's
// module is still evaluated only when that command runs: esbuild turns
// main.ts's `await import('./x.js')` into a deferred initialiser, so `send`
// parses `run`'s engine but never runs it.
//
// One file, read whole at start, also means a rebuild cannot pull code from
// under a running server (as a chunk deleted by the next build would), and
// a start under a small descriptor limit opens a handful of files.
//
// Both outputs land directly in dist/, one level below the package root, as
// the compiled sources do: native.ts finds the addon at
// ../build/Release/ptyplex.node and terminal-guard.ts its watcher
// (restore-guard.js) beside itself, relative to the file they end up in.
// node-pty stays outside (its binding and helper are found from its own
// package). Each file is written whole, then renamed into place: a command
// starting during a build reads the old file or the new one.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

if (!fs.existsSync(path.join(dist, 'cli', 'main.js'))) {
  console.error('bundle: dist/cli/main.js is missing: run tsc first (npm run build)');
  process.exit(2);
}

// string-width (three copies: yargs's, cliui's, wrap-ansi's) builds an
// Intl.Segmenter and Unicode property regexps when it is loaded, some 40 ms,
// and yargs lays out help text with it. Each import of it becomes a small
// wrapper that answers printable ASCII itself (one column per character:
// what every copy returns for it, whatever the options) and loads the real
// module, through a require() esbuild defers to that moment, for the rest.
const STRING_WIDTH = /^string-width$/;
const stringWidthShim = (real) => `const ascii = /^[\\x20-\\x7e]*$/;
module.exports = (s, o) => (typeof s === 'string' && ascii.test(s) ? s.length : require(${JSON.stringify(real)}).default(s, o));`;

// yargs's module shim imports node:assert (its error classes, and through
// them process.stderr: some 4 ms) for two checks that pass in every normal
// run. They become the same test (Object.is, as assert's strict functions
// use), with the real assert loaded only to throw its own error.
const ASSERT = /^(node:)?assert$/;
const assertShim = `exports.strictEqual = (a, b, m) => { if (!Object.is(a, b)) require('node:assert').strictEqual(a, b, m); };
exports.notStrictEqual = (a, b, m) => { if (Object.is(a, b)) require('node:assert').notStrictEqual(a, b, m); };`;

// yaml is a third of the CLI's code and only `run -f ptyplex.yaml` and
// `stop --script` read YAML; V8 compiles all of a file it loads (some 35
// ms per MB here), so yaml goes into its own file, dist/ptyplex-yaml.cjs,
// which the CLI requires the first time one of its exports is used.
const requireHere = createRequire(import.meta.url);
const YAML_FILE = 'ptyplex-yaml.cjs';
const yamlShim = `let real;
const load = () => (real ??= require('./${YAML_FILE}'));
for (const k of ${JSON.stringify(Object.keys(requireHere('yaml')))}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });`;

// Two patches to yargs, each checked: a yargs whose text has moved fails
// the build, rather than quietly costing the time again.
//
// Every yargs instance guesses a version at birth: it looks for a
// package.json from the current directory up to the root (a directory read
// per level), parses the first it finds, someone else's project's, and
// when there is none loads node:assert to throw and catch its own error.
// ptyplex always gives its version (main.ts), so the guess is dropped.
//
// Its platform shim reads process.stdout.columns when it is loaded, which
// makes Node build the stdout stream (a pipe's is a net.Socket) for every
// command, `send` too, which prints nothing: it becomes a getter, read
// when yargs lays out help, as main.ts's helpColumns is.
const PATCHES = [
  {
    file: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/,
    find: `[kGuessVersion]() {
        const obj = this[kPkgUp]();
        return obj.version || 'unknown';
    }`,
    replace: `[kGuessVersion]() {
        return 'unknown';
    }`,
  },
  {
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    find: "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null",
    replace: "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }",
  },
];

const patched = (patch) => async (args) => {
  const text = await fs.promises.readFile(args.path, 'utf8');
  if (text.split(patch.find).length !== 2) return { errors: [{ text: `${args.path} no longer reads as scripts/bundle.js expects (${patch.find.split('\n')[0]}): update its patch` }] };
  return { contents: text.replace(patch.find, patch.replace), loader: 'js' };
};

const startupShims = {
  name: 'startup-shims',
  setup(b) {
    b.onResolve({ filter: STRING_WIDTH }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'real' });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'string-width-shim' };
    });
    b.onLoad({ filter: /.*/, namespace: 'string-width-shim' }, (args) => ({
      contents: stringWidthShim(args.path),
      loader: 'js',
      resolveDir: path.dirname(args.path),
    }));
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: 'yaml', namespace: 'yaml-shim' }));
    b.onResolve({ filter: /^\.\/ptyplex-yaml\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'yaml-shim' }, () => ({ contents: yamlShim, loader: 'js' }));
    b.onResolve({ filter: ASSERT }, (args) => (args.kind === 'require-call' ? undefined : { path: 'assert', namespace: 'assert-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'assert-shim' }, () => ({ contents: assertShim, loader: 'js' }));
    for (const patch of PATCHES) b.onLoad({ filter: patch.file }, patched(patch));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['node-pty'],
  // Smaller source, less for V8 to scan at start; names are kept, so an
  // internal error's stack still says which function.
  minifyWhitespace: true,
  minifySyntax: true,
  write: false,
  logLevel: 'warning',
};

const results = await Promise.all([
  build({
    ...common,
    entryPoints: [path.join(dist, 'cli', 'main.js')],
    outfile: path.join(dist, 'ptyplex-cli.cjs'),
    format: 'cjs',
    plugins: [startupShims],
    // The sources use import.meta.url to find files beside them.
    define: { 'import.meta.url': '__ptyplexUrl' },
    banner: { js: "'use strict';const __ptyplexUrl=require('node:url').pathToFileURL(__filename).href;" },
  }),
  build({
    ...common,
    entryPoints: [requireHere.resolve('yaml')],
    outfile: path.join(dist, YAML_FILE),
    format: 'cjs',
  }),
  // The watcher an attached client leaves behind: small, an ES module.
  build({
    ...common,
    entryPoints: [path.join(dist, 'cli', 'restore-guard.js')],
    outfile: path.join(dist, 'restore-guard.js'),
    format: 'esm',
  }),
]);

// The CLI's first line names its build (a hash of its code), which its
// code cache (below) must name too: see bin/load-bundle.js.
const cli = path.join(dist, 'ptyplex-cli.cjs');
const contents = (file) => {
  if (file.path !== cli) return file.contents;
  // bin/load-bundle.js runs it as a vm.Script, which has no import() (no
  // importModuleDynamically): esbuild turns ours into requires; one left
  // would fail only when its command ran.
  if (/\bimport\(/.test(file.text)) {
    console.error(`bundle: ${cli} calls import(), which bin/load-bundle.js cannot run`);
    process.exit(1);
  }
  const id = createHash('sha256').update(file.contents).digest('hex').slice(0, 32);
  return Buffer.concat([Buffer.from(`//ptyplex-build ${id}\n`), file.contents]);
};

for (const file of results.flatMap((r) => r.outputFiles)) {
  const tmp = `${file.path}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, contents(file));
    fs.renameSync(tmp, file.path);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

// V8's code cache for the CLI, made by the Node running the build (another
// Node rejects it and parses, as it would without): scripts/code-cache.cjs.
// Only a saving: where it cannot be made (no writable temporary directory,
// a machine too busy to finish in time) the build says so and succeeds,
// and each start parses the bundle, as it would with another Node.
const made = spawnSync(process.execPath, [path.join(root, 'scripts', 'code-cache.cjs'), cli], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
if (made.status !== 0) {
  fs.rmSync(`${cli}.cache`, { force: true });
  console.error(`bundle: warning: no code cache for ${cli} (each start parses it): ${made.stderr.trim() || made.error?.message || `status ${made.status}`}`);
}
