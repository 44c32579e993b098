// Loaded into a test's session server with NODE_OPTIONS=--import: the
// `ptyplex __resume --check` child that an upgrade runs before it replaces
// its program takes PTYPLEX_TEST_SLOW_CHECK_MS (default 2000) to answer,
// so a test can type, ask and send while the switch is under way. It
// changes nothing in ptyplex; every other process loads it and goes on.
if (process.argv.includes('__resume') && process.argv.includes('--check')) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.PTYPLEX_TEST_SLOW_CHECK_MS ?? 2000));
}
