import fs from "node:fs";
// How to run this same ptyplex again (a background server): the same Node
// flags and entry script.
export const BIN_ARGS: readonly string[] = [...process.execArgv, process.argv[1] ?? ''];

/** This ptyplex's version, from its package.json (dist/cli/ is two levels below it). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
