// Vitest reporter that makes a run unable to hang. It lives in the main
// process, which is never starved (workers are forked), and kills a worker
// whose file runs too long or whose heartbeat (heartbeat.ts) stopped: a
// spinning poller keeps a worker's loop busy, so vitest's own timeouts never
// fire there. It also cancels the whole run past an overall limit. Each kill
// is one line naming the file; the files killed or never finished are
// written to $PTYPLEX_WATCHDOG_REPORT (JSON) so .ci/run counts them failed.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule, TestSpecification, Vitest } from 'vitest/node';
import { beatFile } from './beat-file.js';

const seconds = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
// Generous by default: the slowest file takes about a minute alone and a
// loaded 2-core machine may triple that; a starved worker never beats.
const FILE_LIMIT_S = seconds('PTYPLEX_FILE_LIMIT_S', 300);
const STALL_LIMIT_S = seconds('PTYPLEX_STALL_LIMIT_S', 60);
const RUN_LIMIT_S = seconds('PTYPLEX_RUN_LIMIT_S', 540);

interface Killed { file: string; why: string }

// The pids below `root` (children first found through /proc), so a killed
// worker's PTY children and servers do not outlive it.
function descendants(root: number): number[] {
  const parent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(name)]);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const walk = (pid: number): void => { for (const c of parent.get(pid) ?? []) { out.push(c); walk(c); } };
  walk(root);
  return out;
}

function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
    try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
  }
}

export default class Watchdog implements Reporter {
  private vitest: Vitest | undefined;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'ptyplex-watchdog-'));
  private readonly runStart = Date.now();
  private readonly running = new Map<string, { rel: string; since: number }>();
  private readonly killed: Killed[] = [];
  private planned: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    // Forked workers inherit this: heartbeat.ts finds the directory here.
    process.env.PTYPLEX_WATCHDOG_DIR = this.dir;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  onTestRunStart(specs: ReadonlyArray<TestSpecification>): void {
    this.planned = specs.map((s) => path.relative(process.cwd(), s.moduleId));
  }

  onTestModuleQueued(m: TestModule): void {
    this.running.set(m.moduleId, { rel: m.relativeModuleId, since: Date.now() });
  }

  onTestModuleEnd(m: TestModule): void {
    this.running.delete(m.moduleId);
    this.planned = this.planned.filter((f) => f !== m.relativeModuleId);
  }

  private beat(file: string): { pid: number; at: number } | undefined {
    try {
      const [pid, at] = readFileSync(path.join(this.dir, beatFile(file)), 'utf8').trim().split(' ').map(Number);
      return { pid, at };
    } catch { return undefined; }
  }

  private kill(file: string, rel: string, why: string): void {
    const beat = this.beat(file);
    if (beat) killTree(beat.pid);
    this.running.delete(file);
    this.killed.push({ file: rel, why });
    process.stderr.write(`watchdog: KILLED ${rel}: ${why}\n`);
  }

  private tick(): void {
    const now = Date.now();
    if ((now - this.runStart) / 1000 > RUN_LIMIT_S) return this.stopRun();
    for (const [file, { rel, since }] of this.running) {
      const beat = this.beat(file);
      const age = (now - since) / 1000;
      const silent = beat ? (now - beat.at) / 1000 : 0;
      if (silent > STALL_LIMIT_S) this.kill(file, rel, `worker starved: no heartbeat for ${Math.round(silent)} s`);
      else if (age > FILE_LIMIT_S) this.kill(file, rel, `file ran over its ${FILE_LIMIT_S} s limit`);
    }
  }

  private stopRun(): void {
    clearInterval(this.timer);
    process.stderr.write(`watchdog: the run passed its ${RUN_LIMIT_S} s limit; cancelling\n`);
    for (const [file, { rel }] of [...this.running]) this.kill(file, rel, `still running at the run's ${RUN_LIMIT_S} s limit`);
    void this.vitest?.cancelCurrentRun('watchdog: run limit' as Parameters<Vitest['cancelCurrentRun']>[0]);
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
    const unfinished = this.planned.filter((f) => !this.killed.some((k) => k.file === f));
    for (const f of unfinished) process.stderr.write(`watchdog: NOT FINISHED ${f}\n`);
    const out = process.env.PTYPLEX_WATCHDOG_REPORT;
    if (out) writeFileSync(out, JSON.stringify({ killed: this.killed, unfinished }, null, 2));
    if (this.killed.length + unfinished.length > 0) process.exitCode = 1;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
