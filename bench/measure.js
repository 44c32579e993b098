// What both benchmark readers (ours and node-pty's) measure the same way.

/** This process's CPU seconds so far (user + system). */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * The child of an idle console: `sleep`. For a hung-up one it first closes
 * every fd on the slave, so the master reports hang-up while it lives on.
 */
export const idleScript = (mode) => (mode === 'hungup' ? 'exec sleep 600 <&- >&- 2>&-' : 'exec sleep 600');

/**
 * After the consoles started (rss0 was taken before), lets them settle for
 * 1 s, then returns RSS growth per console and CPU seconds over `seconds`.
 */
export async function measureIdle(rss0, n, seconds) {
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const cpu0 = cpuNow();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { cpu: cpuNow() - cpu0, rssPerConsole: (rss1 - rss0) / n };
}
