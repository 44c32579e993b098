// A duration option: milliseconds, or a one-line UserError naming the option.
import { durationMs } from '../session/duration.js';
import { UserError } from './user-error.js';

export function parseDuration(text: string | number, option: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UserError(`--${option}: bad duration ${JSON.stringify(String(text))} (e.g. 5s, 500ms, 2m; at most 24 days)`);
  return ms;
}
