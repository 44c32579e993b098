// Durations as users type them: "5s", "500ms", "2m", "1.5s"; a bare number
// is seconds. The one parser for options, files and the stop grammar.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest a timer can wait (Node fires longer ones at once): about 24.8 days. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds, or undefined if text is not a duration (or longer than MAX_DURATION_MS). */
export function durationMs(text: string | number): number | undefined {
  const ms = parse(text);
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Why text is not a duration, for a one-line error (durationMs gave undefined). */
export function durationProblem(text: unknown): string {
  const ms = typeof text === 'string' || typeof text === 'number' ? parse(text) : undefined;
  if (ms !== undefined) return `duration ${JSON.stringify(String(text))} is longer than 24 days`;
  return `bad duration ${JSON.stringify(text ?? null)} (e.g. 5s, 500ms)`;
}

function parse(text: string | number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  return m === null ? undefined : Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}
