// Tests that must be root (containers, other users) say so and fail; they
// never skip.

/** Fails the test, loudly, unless it runs as root. */
export function needsRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new Error(`this test needs root (${why}); run the suite as root`);
}
