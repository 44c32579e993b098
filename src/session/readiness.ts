// Whether a console's current run is ready: its `ready:` check. `expect`
// watches what a user would see (the Matcher of `ptyplex expect`, from the
// start of this run); `exec` runs a probe with $SHELL -c every interval
// until one exits 0; `tcp` connects every interval until one succeeds. The
// check ends with the run: a run that ended before it was ready is not.
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { compilePattern } from '../config/pattern.js';
import type { ReadyCheck } from '../config/supervision.js';
import { claimChild, releaseChild } from '../console/orphan-reaper.js';
import { Matcher } from './matcher.js';
import type { SessionConsole } from './session-console.js';

export type ReadyOutcome = 'ready' | 'ended' | 'timed out';

export async function whenReady(c: SessionConsole, check: ReadyCheck): Promise<ReadyOutcome> {
  const cleanups: Array<() => void> = [];
  const outcome = new Promise<ReadyOutcome>((resolve) => {
    void c.ended.then(() => resolve('ended'));
    if (check.timeout !== undefined) {
      const timer = setTimeout(() => resolve('timed out'), check.timeout);
      cleanups.push(() => clearTimeout(timer));
    }
    const ready = () => resolve('ready');
    if ('expect' in check) cleanups.push(watchOutput(c, compilePattern(check.expect), ready));
    else cleanups.push(poll(check.interval, 'exec' in check ? () => probeExec(c, check.exec) : () => probeTcp(check.tcp), ready));
  });
  try {
    return await outcome;
  } finally {
    for (const fn of cleanups) fn();
  }
}

// The output of this run so far, then as it comes.
function watchOutput(c: SessionConsole, pattern: RegExp, ready: () => void): () => void {
  const matcher = new Matcher(pattern);
  if (matcher.feed(c.hub.replay(c.life.runStart)) !== undefined) {
    ready();
    return () => undefined;
  }
  return c.hub.subscribe({
    data: (chunk) => {
      if (matcher.feed(chunk) !== undefined) ready();
    },
  });
}

/** A probe: resolves true if it succeeded; cancel stops it early. */
interface Probe {
  result: Promise<boolean>;
  cancel(): void;
}

/** The least an attempt is given before it counts as failed: a health check on a busy machine may take seconds. */
const MIN_ATTEMPT_MS = 5000;

// One probe at a time: the next starts an interval after the last ended.
// An attempt that hangs (a probe stuck on a lock, a connect to a host that
// drops packets) is cancelled after max(interval, 5 s) and counts as
// failed, so it cannot hold up the attempts after it.
function poll(interval: number, probe: () => Probe, ready: () => void): () => void {
  let stopped = false;
  let current: Probe | undefined;
  let timer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (stopped) return;
    const attempt = probe();
    current = attempt;
    const ok = Promise.race([attempt.result, new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), Math.max(interval, MIN_ATTEMPT_MS))))]);
    void ok.then((passed) => {
      clearTimeout(deadline);
      if (!passed) attempt.cancel();
      if (stopped) return;
      if (passed) ready();
      else timer = setTimeout(next, interval);
    });
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(deadline);
    current?.cancel();
  };
}

function probeExec(c: SessionConsole, cmd: string): Probe {
  const shell = process.env.SHELL || '/bin/sh';
  let child: ChildProcess;
  try {
    child = spawnProcess(shell, ['-c', cmd], { stdio: 'ignore', env: { ...process.env, ...c.spec.env }, ...(c.spec.cwd !== undefined && { cwd: c.spec.cwd }), detached: true });
  } catch {
    return { result: Promise.resolve(false), cancel: () => undefined };
  }
  const pid = child.pid;
  // Ours to reap (libuv waits for it): the orphan sweeper must leave it.
  if (pid !== undefined) claimChild(pid);
  const result = new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', (code) => {
      if (pid !== undefined) releaseChild(pid);
      resolve(code === 0);
    });
  });
  return {
    result,
    cancel: () => {
      // Its own process group (detached): whatever the probe started goes with it.
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
  };
}

function probeTcp(to: { host: string; port: number }): Probe {
  const sock = net.connect({ host: to.host, port: to.port });
  const result = new Promise<boolean>((resolve) => {
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
  return { result, cancel: () => sock.destroy() };
}
