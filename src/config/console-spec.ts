import type { Step } from './stop-step.js';
import type { Backoff, Condition, ReadyCheck, RestartPolicy } from './supervision.js';

// What one console of a session is: a name and a shell command line, with
// its working directory, extra environment and fixed size if any; or a name
// and the console socket a runtime will send its master to.
export interface ConsoleSpec {
  name: string;
  /** Run with `$SHELL -c` (else /bin/sh); '' for an adopted console. */
  cmd: string;
  /** Instead of a command: the console socket its master is adopted from. */
  adopt?: string;
  cwd?: string;
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  /** How to stop it (else the session's default: SIGINT, then wait). */
  stop?: Step[];
  /** Consoles that must have stopped before this one is stopped. */
  stopAfter?: string[];
  /** Consoles this one needs: they are stopped after it. */
  dependsOn?: string[];
  /** What each of dependsOn must reach before this one starts (the list form: started). */
  startWhen?: Record<string, Condition>;
  /** How it shows it is ready (else: ready once started). */
  ready?: ReadyCheck;
  /** Whether it is started again when it ends (default: no). */
  restart?: RestartPolicy;
  backoff?: Backoff;
  /** Restarts in a row before it is failed (default: no bound). */
  maxRestarts?: number;
  /** false: started only by `ptyplex start NAME`. */
  autostart?: boolean;
}

/** Names a user can type after `attach` or in a Procfile. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Why name cannot name a console (or session), or undefined if it can. */
export function nameProblem(name: string, what = 'console'): string | undefined {
  return NAME_PATTERN.test(name) ? undefined : `bad ${what} name ${JSON.stringify(name)} (letters, digits, _ . -; not starting with _ . -)`;
}

/** The console's size: its fixed cols/rows where set, else `follow`'s. */
export function consoleSize(spec: ConsoleSpec, follow: { cols: number; rows: number }): { cols: number; rows: number } {
  return { cols: spec.cols ?? follow.cols, rows: spec.rows ?? follow.rows };
}
