// Durations as users type them: "5s", "500ms", "2m", "1.5s"; a bare number
// is seconds.
import { UserError } from './user-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or a UserError naming the option. */
export function parseDuration(text: string | number, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  if (m === null) throw new UserError(`--${option}: bad duration ${JSON.stringify(String(text))} (e.g. 5s, 500ms, 2m)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}
