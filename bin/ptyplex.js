#!/usr/bin/env node
// The ptyplex executable. The CLI, bundled at build time into one CommonJS
// file (scripts/bundle.js), does the work; this file is CommonJS too
// (bin/package.json), so a command never starts Node's ES module loader.
// Node's compile cache (22.1 and later) keeps V8's compiled code between
// runs; older Nodes simply start without it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

require('node:module').enableCompileCache?.();

const dist = path.join(__dirname, '..', 'dist');

// The bundle, unless tsc ran after it (a quick `tsc -p .` without the
// bundle step): then the compiled sources, slower to load but current,
// rather than yesterday's code.
function cli() {
  const bundle = path.join(dist, 'ptyplex-cli.cjs');
  const compiled = path.join(dist, 'cli', 'main.js');
  const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const sources = mtime(compiled);
  if (sources < 0 || mtime(bundle) >= sources) return require(bundle);
  return import(pathToFileURL(compiled).href);
}

Promise.resolve(cli())
  .then((m) => m.main(process.argv.slice(2)))
  .then((status) => {
    process.exitCode = status;
  });
