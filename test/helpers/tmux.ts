// A private tmux server as the user's terminal emulator: attach is run in
// a real pane, and what the user would see (the screen, the alternate
// screen, the cursor, the termios of the pane's terminal) is read back
// from tmux and the kernel instead of trusting what ptyplex says it did.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { until } from './session.js';

/** What tmux knows about a pane's terminal state. */
export interface PaneState {
  /** The pane shows its alternate screen. */
  alternate: boolean;
  /** The cursor is visible. */
  cursorVisible: boolean;
  /** The pane's terminal, e.g. /dev/pts/3. */
  tty: string;
  /** The pane's first process (the shell the pane was started with). */
  pid: number;
  cols: number;
  rows: number;
}

/** The termios flags that tell raw mode from a shell's cooked mode. */
export interface LineMode {
  icanon: boolean;
  echo: boolean;
  isig: boolean;
}

export class TmuxServer {
  private sessions = 0;

  /** `name` is the -L socket name: unique per test file, so servers never meet. */
  constructor(readonly name: string) {}

  /** Runs one tmux command against this server; throws with tmux's reason on failure. */
  run(args: string[]): string {
    // -f /dev/null: the user's ~/.tmux.conf must not change sizes or keys.
    const r = spawnSync('tmux', ['-L', this.name, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: status ${String(r.status)}: ${r.stderr}${r.error?.message ?? ''}`);
    return r.stdout;
  }

  /**
   * A new tmux session whose one pane runs dash (`dash -i`, by name, not
   * `sh`, which is bash on some hosts): dash leaves the terminal's termios
   * alone when a child exits, so a terminal found cooked again after attach
   * was put back by ptyplex, not by the shell. Bash's line editor would set
   * it raw at every prompt.
   */
  newPane(opts: { cols: number; rows: number; env: Record<string, string> }): Pane {
    const target = `t${++this.sessions}`;
    const env = Object.entries({ PS1: 'pane$ ', ...opts.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // Two words: tmux execs them directly, so the pane's pid is dash itself.
    this.run(['new-session', '-d', '-s', target, '-x', String(opts.cols), '-y', String(opts.rows), ...env, 'dash', '-i']);
    const pane = new Pane(this, `${target}:0.0`);
    // Another size than the session's default: resize-window makes the
    // window's size manual, which holds even with no tmux client attached.
    pane.resize(opts.cols, opts.rows);
    return pane;
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.name, 'kill-server'], { timeout: 10_000 });
  }
}

export class Pane {
  constructor(
    private readonly tmux: TmuxServer,
    readonly target: string,
  ) {}

  /** Ends the pane's tmux session: SIGHUP to everything running in it. */
  kill(): void {
    try {
      this.tmux.run(['kill-session', '-t', this.target.split(':')[0]!]);
    } catch {
      // Already gone.
    }
  }

  /** Types text literally (no key names), as a user would. */
  type(text: string): void {
    this.tmux.run(['send-keys', '-t', this.target, '-l', text]);
  }

  /** Presses keys by tmux's names: Enter, C-p, C-c, ... */
  keys(...names: string[]): void {
    this.tmux.run(['send-keys', '-t', this.target, ...names]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** What the pane shows now (the alternate screen while it is on), without trailing blank lines. */
  screen(): string {
    return this.tmux.run(['capture-pane', '-p', '-t', this.target]).replace(/\s+$/, '');
  }

  /** Blanks the screen and the scrollback, so what appears next is new. */
  clear(): void {
    this.tmux.run(['send-keys', '-R', '-t', this.target]);
    this.tmux.run(['clear-history', '-t', this.target]);
  }

  state(): PaneState {
    const out = this.tmux.run(['display', '-p', '-t', this.target, '#{alternate_on} #{cursor_flag} #{pane_tty} #{pane_pid} #{pane_width} #{pane_height}']).trim();
    const [alt, cursor, tty, pid, cols, rows] = out.split(' ');
    return { alternate: alt === '1', cursorVisible: cursor === '1', tty: tty!, pid: Number(pid), cols: Number(cols), rows: Number(rows) };
  }

  resize(cols: number, rows: number): void {
    this.tmux.run(['resize-window', '-t', this.target, '-x', String(cols), '-y', String(rows)]);
  }

  /**
   * The pane terminal's line discipline as `stty -a` reads it. The tty is
   * opened O_NOCTTY: the test process must not make it its controlling terminal.
   */
  lineMode(): LineMode {
    const fd = fs.openSync(this.state().tty, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    try {
      const r = spawnSync('stty', ['-a'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`stty -a: ${r.stderr}`);
      const flags = new Set(r.stdout.split(/[\s;]+/));
      const flag = (name: string): boolean => {
        if (flags.has(name)) return true;
        if (flags.has(`-${name}`)) return false;
        throw new Error(`stty -a shows no ${name}: ${r.stdout}`);
      };
      return { icanon: flag('icanon'), echo: flag('echo'), isig: flag('isig') };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Pids of the processes the pane's shell started whose command line contains `match`. */
  children(match: string): number[] {
    return childProcesses(this.state().pid, match);
  }

  /** Polls the screen until it matches; the error shows the screen last seen. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    let last = '';
    try {
      return await until(() => {
        last = this.screen();
        return pattern.test(last) && last;
      }, `${String(pattern)} on ${this.target}`, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; screen:\n${last}`);
    }
  }

  /** Polls the pane's state until check passes; the error shows the state last seen. */
  async waitState(check: (s: PaneState) => boolean, what: string, timeoutMs = 10_000): Promise<PaneState> {
    let last: PaneState | undefined;
    try {
      return await until(() => {
        last = this.state();
        return check(last) && last;
      }, what, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last state ${JSON.stringify(last)}; screen:\n${this.screen()}`);
    }
  }
}

/** Pids of pid's children whose command line contains `match`. */
export function childProcesses(pid: number, match: string): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((child) => cmdline(child).includes(match));
}

/** A process's command line, words joined by spaces; '' once it is gone. */
export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** True while a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
