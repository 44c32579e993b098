// A duration option: milliseconds, or a one-line UserError naming the option.
import { durationMs, durationProblem } from '../config/duration.js';
import { UserError } from './user-error.js';

export function parseDuration(text: string | number, option: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UserError(`--${option}: ${durationProblem(String(text))}`);
  return ms;
}
