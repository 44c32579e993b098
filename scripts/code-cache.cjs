// Run by scripts/bundle.js in a child process: loads the bundle through the
// executable's own loader (bin/load-bundle.js: the same wrapper, so the
// same source V8 sees at every start), runs the short commands a script
// calls in loops, so the functions they need are compiled, and writes V8's
// code cache, headed by the bundle's build id, to BUNDLE.cache. The
// commands run against an empty private runtime directory: each fails at
// once ("no session is running"), having compiled its way there.
// node scripts/code-cache.cjs BUNDLE
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadBundle } = require('../bin/load-bundle.js');

const bundle = path.resolve(process.argv[2]);
const cacheFile = `${bundle}.cache`;

const WARM = [['--version'], ['ls'], ['send', 'x', 'y', '--keys'], ['expect', 'x', 'y'], ['tee', 'x', '--no-follow']];

async function main() {
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-code-cache-'));
  fs.chmodSync(runtime, 0o700);
  process.env.XDG_RUNTIME_DIR = runtime;
  // Nothing of the builder's own sessions, hosts or daemon pipe reaches the run.
  for (const name of ['PTYPLEX_SOCKET', 'PTYPLEX_HOST', 'PTYPLEX_DAEMON_FD', 'PTYPLEX_DAEMON_SOCKET']) delete process.env[name];
  try {
    // An old cache of the same build would be used, and the new one say no more.
    fs.rmSync(cacheFile, { force: true });
    const { exports, script, id } = loadBundle(bundle, cacheFile);
    if (id === undefined) throw new Error(`${bundle} has no build id`);
    for (const args of WARM) await exports.main(args);
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${id}\n`), script.createCachedData()]));
      fs.renameSync(tmp, cacheFile);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } finally {
    fs.rmSync(runtime, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`code-cache: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
