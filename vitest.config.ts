import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Tells the watchdog reporter which worker runs which file, and beats.
    setupFiles: ['test/watchdog/heartbeat.ts'],
    // The watchdog kills a starved worker and reports its file as failed.
    reporters: ['default', './test/watchdog/reporter.ts'],
    // Real PTYs, processes and a native addon: one process per file.
    pool: 'forks',
    // Consoles run under $SHELL -c. CI has no SHELL (so /bin/sh, Debian's
    // dash, which forks even a last simple command, where bash execs it):
    // every run here uses the same shell, whoever starts it.
    env: { SHELL: '/bin/sh' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
