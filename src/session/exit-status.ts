// How a console ended, as a shell would report it, and the one status a run
// of many consoles exits with.
import os from 'node:os';
import type { ExitStatus } from '../console/spawn.js';

export type SuccessPolicy = 'all' | 'first' | 'last';
export const SUCCESS_POLICIES: readonly SuccessPolicy[] = ['all', 'first', 'last'];

/** The shell's number for an end: the exit code, or 128 + signal. */
export function statusCode(exit: ExitStatus): number {
  return exit.signal !== null ? 128 + exit.signal : (exit.exitCode ?? 0);
}

export function signalName(signal: number): string {
  const found = Object.entries(os.constants.signals).find(([, n]) => n === signal);
  return found ? found[0] : `signal ${signal}`;
}

/** "web exited with code 3", "db killed by SIGTERM", "box closed" (adopted). */
export function describeEnd(name: string, exit: ExitStatus): string {
  if (exit.signal !== null) return `${name} killed by ${signalName(exit.signal)}`;
  if (exit.exitCode === null) return `${name} closed`;
  const hint = exit.exitCode === 127 ? ' (command not found)' : exit.exitCode === 126 ? ' (not executable)' : '';
  return `${name} exited with code ${exit.exitCode}${hint}`;
}

/**
 * all: 0 when every console succeeded, else the first failure's status;
 * first / last: the status of the console that ended first / last.
 * `ends` is in the order the consoles ended.
 */
export function runStatus(policy: SuccessPolicy, ends: readonly ExitStatus[]): number {
  if (ends.length === 0) return 0;
  if (policy === 'first') return statusCode(ends[0]!);
  if (policy === 'last') return statusCode(ends[ends.length - 1]!);
  const failed = ends.find((e) => statusCode(e) !== 0);
  return failed === undefined ? 0 : statusCode(failed);
}
