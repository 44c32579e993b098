// A console's life across runs: whether something asked it to stop (then no
// restart follows, and a backoff wait ends at once), whether `restart` asked
// for another run, how many runs it had, and the policy a supervisor set
// that decides, after each run, whether another follows.
import type { ExitStatus } from '../console/spawn.js';

/** After a run ended: resolves true to run again (after any wait it chose). */
export type RunAgain = (exit: ExitStatus) => Promise<boolean>;

export class Lifecycle {
  /** A stop, kill-server or Ctrl-C asked it to end: nothing restarts it until `start`. */
  stopping = false;
  /** `ptyplex restart`: the run that ends next is followed by another, at once. */
  restartAsked = false;
  /** Runs after the first. */
  restarts = 0;
  /** How many stops were asked for: a restart goes on only if none came while it stopped the console. */
  stops = 0;
  /** Output offset at which the current run began (where its readiness is looked for). */
  runStart = 0;
  /** Set by the supervisor; none: a console that ends stays ended. */
  policy: RunAgain | undefined;
  private readonly sleepers = new Set<(wake: boolean) => void>();

  /** No restart from now on; a backoff wait in progress ends now. */
  requestStop(): void {
    this.stops++;
    this.stopping = true;
    this.restartAsked = false;
    for (const cb of [...this.sleepers]) cb(false);
  }

  /** True while a backoff wait is in progress. */
  get sleeping(): boolean {
    return this.sleepers.size > 0;
  }

  /** Ends a backoff wait now, with the restart (`start` or `restart` of a console in backoff). */
  wake(): void {
    for (const cb of [...this.sleepers]) cb(true);
  }

  /** Resolves true after ms (or a wake), false as soon as a stop is asked for. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve(v);
      };
      const timer = setTimeout(() => done(true), ms);
      this.sleepers.add(done);
    });
  }

  /** Whether another run follows the one that ended with exit. */
  async runAgain(exit: ExitStatus): Promise<boolean> {
    if (this.stopping) return false;
    if (this.restartAsked) {
      this.restartAsked = false;
      return true;
    }
    return this.policy !== undefined && (await this.policy(exit)) && !this.stopping;
  }
}
