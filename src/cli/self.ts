// How to run this same ptyplex again (a background server, the program an
// upgrade execs): the same Node flags and entry script.
import fs from 'node:fs';

export const BIN_ARGS: readonly string[] = [...process.execArgv, process.argv[1] ?? ''];

/**
 * A server's Node: V8 grows its young generation to 16 MiB semispaces
 * during the burst of starting many consoles and keeps them, which is most
 * of an idle console's memory: 27 KiB of RSS per console with 1000 of them,
 * 14 KiB with semispaces of at most 2 MiB (bench/scale.js), at no CPU cost
 * measured on 64 MiB through a logged console. A flag the user gave wins.
 */
export const SERVER_ARGS: readonly string[] = process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))
  ? BIN_ARGS
  : ['--max-semi-space-size=2', ...BIN_ARGS];

/** This ptyplex's version, from its package.json (dist/cli/ is two levels below it). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
