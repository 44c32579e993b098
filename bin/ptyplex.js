#!/usr/bin/env node
// The ptyplex executable. The CLI, bundled at build time into one CommonJS
// file (scripts/bundle.js), does the work; this file is CommonJS too
// (bin/package.json), so a command never starts Node's ES module loader.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

compileCache();

const dist = path.join(__dirname, '..', 'dist');

// The bundle, unless tsc ran after it (a quick `tsc -p .` without the
// bundle step): then the compiled sources, slower to load but current,
// rather than yesterday's code.
function cli() {
  const bundle = path.join(dist, 'ptyplex-cli.cjs');
  const compiled = path.join(dist, 'cli', 'main.js');
  const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const sources = mtime(compiled);
  if (sources < 0 || mtime(bundle) >= sources) return require('./load-bundle.js').loadBundle(bundle).exports;
  return import(pathToFileURL(compiled).href);
}

Promise.resolve(cli())
  .then((m) => m.main(process.argv.slice(2)))
  .then((status) => {
    process.exitCode = status;
  });

// Node's compile cache (22.1 and later) keeps V8's compiled code between
// runs; older Nodes simply start without it. Never in Node's default
// directory, os.tmpdir()/node-compile-cache, which every user shares: another
// uid can make this user's subdirectory there first and fill it with code
// V8 would run as this user. So in $XDG_RUNTIME_DIR (this user's alone, mode
// 0700), or none; a NODE_COMPILE_CACHE the user set, Node has taken already.
function compileCache() {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (process.env.NODE_COMPILE_CACHE || !runtime) return;
  require('node:module').enableCompileCache?.(require('node:path').join(runtime, 'ptyplex-compile-cache'));
}
