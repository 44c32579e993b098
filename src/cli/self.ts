// How to run this same ptyplex again (a background server): the same Node
// flags and entry script.
export const BIN_ARGS: readonly string[] = [...process.execArgv, process.argv[1] ?? ''];
