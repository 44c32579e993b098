// Run by scripts/bundle.js in a child process: loads the bundle through the
// executable's own loader (bin/load-bundle.js: the same wrapper, so the
// same source V8 sees at every start), runs the short commands a script
// calls in loops, so the functions they need are compiled, and writes V8's
// code cache, headed by the bundle's build id, to BUNDLE.cache. The
// commands run in a private runtime directory, against a session started
// there for them (and stopped after); where none can start, each runs up
// to its "no session is running".
// node scripts/code-cache.cjs BUNDLE
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { loadBundle } = require('../bin/load-bundle.js');

const bundle = path.resolve(process.argv[2]);
const cacheFile = `${bundle}.cache`;

// The executable of the package the bundle is in: it starts the session.
const bin = path.join(path.dirname(bundle), '..', 'bin', 'ptyplex.js');

// Against a live session, so each command's whole way is compiled: the
// lookup, the connection, the reply, the output. Its one console ends by
// itself (and the session with it) should kill-server fail: what send
// types, the terminal echoes, and expect finds.
const WARM = [['--version'], ['ls'], ['send', 'warm', 'ready', '--keys', 'Enter'], ['expect', 'warm', 'ready'], ['tee', 'warm', '--no-follow']];
// Without one (no PTY where the build runs, say), up to where each says so.
const WARM_ALONE = [['--version'], ['ls'], ['send', 'x', 'y', '--keys'], ['expect', 'x', 'y'], ['tee', 'x', '--no-follow']];

async function main() {
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-code-cache-'));
  fs.chmodSync(runtime, 0o700);
  process.env.XDG_RUNTIME_DIR = runtime;
  // Nothing of the builder's own sessions, hosts or daemon pipe reaches the run.
  for (const name of ['PTYPLEX_SOCKET', 'PTYPLEX_HOST', 'PTYPLEX_DAEMON_FD', 'PTYPLEX_DAEMON_SOCKET']) delete process.env[name];
  try {
    // An old cache of the same build would be used, and the new one say no more.
    fs.rmSync(cacheFile, { force: true });
    const session = spawnSync(process.execPath, [bin, 'run', '-d', '--names', 'warm', 'exec sleep 30'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    try {
      const { exports, script, id } = loadBundle(bundle, cacheFile);
      if (id === undefined) throw new Error(`${bundle} has no build id`);
      for (const args of session ? WARM : WARM_ALONE) await exports.main(args);
      written(id, script);
    } finally {
      if (session) spawnSync(process.execPath, [bin, 'kill-server'], { stdio: 'ignore', timeout: 30_000 });
    }
  } finally {
    fs.rmSync(runtime, { recursive: true, force: true });
  }
}

function written(id, script) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${id}\n`), script.createCachedData()]));
    fs.renameSync(tmp, cacheFile);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`code-cache: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
