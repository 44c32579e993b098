// Colour for labels: --color / --no-color first, then NO_COLOR (any
// non-empty value, no-color.org), then FORCE_COLOR and the terminal's
// abilities as chalk's supports-color reads them.
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';

export function makeChalk(flag: boolean | undefined): ChalkInstance {
  if (flag === false) return new Chalk({ level: 0 });
  const detected = supportsColor === false ? 0 : supportsColor.level;
  if (flag === true) return new Chalk({ level: Math.max(1, detected) as 1 | 2 | 3 });
  if (process.env.NO_COLOR) return new Chalk({ level: 0 });
  return new Chalk({ level: detected });
}

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'red',
  'cyanBright', 'yellowBright', 'greenBright', 'magentaBright', 'blueBright', 'redBright'] as const;

/** The i-th console's colour function. */
export function consoleColor(chalk: ChalkInstance, i: number): (s: string) => string {
  return chalk[PALETTE[i % PALETTE.length]!];
}
