// Loads dist/ptyplex-cli.cjs as require() would, but with V8's code cache
// for it (dist/ptyplex-cli.cjs.cache, written by scripts/bundle.js at build
// time): V8 then deserializes the compiled code instead of parsing half a
// megabyte of source, some 15 ms of every command on Node 20, which has no
// module.enableCompileCache. The cache is used only if its first line names
// the build the bundle's first line names: V8 itself checks only the
// source's length, and a cache of another bundle of the same length would
// run that bundle's code. A cache V8 rejects (another Node, other flags),
// or none, costs the parse it would have saved and nothing more.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const BUILD_TAG = '//ptyplex-build ';

/** The build id on the bundle's first line, or undefined. */
function buildId(source) {
  if (!source.startsWith(BUILD_TAG)) return undefined;
  const end = source.indexOf('\n');
  return end < 0 ? undefined : source.slice(BUILD_TAG.length, end);
}

/**
 * The cached code for this build, or undefined. Only a cache no one else
 * could have written than could have written the bundle: owned as it is,
 * and writable by no more than it is. V8 runs the cache's code as it
 * stands, so a cache planted by another user (a directory where anyone may
 * create files, the cache not yet made; a cache left writable by all) would
 * run their code as whoever starts ptyplex.
 */
function cachedData(file, cacheFile, id) {
  if (id === undefined) return undefined;
  let data;
  let fd;
  try {
    // Not through a link, and without waiting: a FIFO planted there would
    // hold every start at open(2), before fstat could refuse it.
    fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const cache = fs.fstatSync(fd);
    const bundle = fs.statSync(file);
    if (!cache.isFile() || cache.uid !== bundle.uid || (cache.mode & ~bundle.mode & 0o022) !== 0) return undefined;
    data = fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  const head = Buffer.from(`${id}\n`);
  return data.length > head.length && data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
}

/**
 * Runs the bundle as a CommonJS module (registered in require.cache, as
 * require() would) and returns { exports, script, id, cacheUsed }: script
 * and id for scripts/bundle.js to write the cache.
 */
function loadBundle(file, cacheFile = `${file}.cache`) {
  const source = fs.readFileSync(file, 'utf8');
  const id = buildId(source);
  const data = cachedData(file, cacheFile, id);
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(data !== undefined && { cachedData: data }) });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths?.(path.dirname(file)) ?? [];
  require.cache[file] = m;
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, path.dirname(file));
  m.loaded = true;
  return { exports: m.exports, script, id, cacheUsed: script.cachedDataRejected === false };
}

module.exports = { loadBundle, buildId, BUILD_TAG };
