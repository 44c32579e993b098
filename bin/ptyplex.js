#!/usr/bin/env node
// The ptyplex executable. The CLI, bundled at build time into one CommonJS
// file (scripts/bundle.js), does the work; this file is CommonJS too
// (bin/package.json), so a command never starts Node's ES module loader.
// Node's compile cache (22.1 and later) keeps V8's compiled code between
// runs; older Nodes simply start without it.
'use strict';
require('node:module').enableCompileCache?.();
require('../dist/ptyplex-cli.cjs')
  .main(process.argv.slice(2))
  .then((status) => {
    process.exitCode = status;
  });
