// How to run this same ptyplex again (a background server, the program an
// upgrade execs): the same Node flags and entry script.

export const BIN_ARGS: readonly string[] = [...process.execArgv, process.argv[1] ?? ''];

/**
 * A server's Node: V8 grows its young generation to 16 MiB semispaces
 * during the burst of starting many consoles and keeps them, which is most
 * of an idle console's memory: 27 KiB of RSS per console with 1000 of them,
 * 11 KiB with semispaces of at most 1 MiB (bench/scale.js), at no CPU cost
 * measured on 64 MiB through a logged console. A flag the user gave wins.
 */
export const SERVER_ARGS: readonly string[] = process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))
  ? BIN_ARGS
  : ['--max-semi-space-size=1', ...BIN_ARGS];

/** This ptyplex's version (the one place that reads it: version.ts). */
export { VERSION } from '../version.js';
