// The kernel's limits on consoles, read where Linux publishes them: a
// process's open files (every console holds its master, and its logs), and
// the system's pseudo-terminals. Elsewhere they are unknown (undefined).
import fs from 'node:fs';

export interface OpenFileLimit {
  soft: number;
  /** null: unlimited. */
  hard: number | null;
}

/** This process's RLIMIT_NOFILE (Node raises the soft limit to the hard one at start). */
export function openFileLimit(): OpenFileLimit | undefined {
  const line = readOr('/proc/self/limits')?.split('\n').find((l) => l.startsWith('Max open files'));
  const m = line === undefined ? null : /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line);
  if (m === null) return undefined;
  const num = (s: string) => (s === 'unlimited' ? null : Number(s));
  return { soft: num(m[1]!) ?? Number.MAX_SAFE_INTEGER, hard: num(m[2]!) };
}

/** kernel.pty.max: how many PTYs the whole system may have. */
export function ptyMax(): number | undefined {
  return readNumber('/proc/sys/kernel/pty/max');
}

/** The `max=` of the devpts mounted on /dev/pts, when it sets one (a container's own instance). */
export function devptsMax(): number | undefined {
  // The last mount on /dev/pts is the one in use (mounts stack).
  const line = readOr('/proc/self/mounts')?.split('\n').filter((l) => l.split(' ')[1] === '/dev/pts').pop();
  const m = line === undefined ? null : /(?:^|,)max=(\d+)/.exec(line.split(' ')[3] ?? '');
  return m === null ? undefined : Number(m[1]);
}

/** kernel.pty.nr: how many PTYs the system has now. */
export function ptysInUse(): number | undefined {
  return readNumber('/proc/sys/kernel/pty/nr');
}

function readNumber(file: string): number | undefined {
  const text = readOr(file);
  return text === undefined ? undefined : Number(text.trim());
}

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
