// Sizes a user types: 65536, 64k, 4M, 1MiB (powers of 1024).
import { EX_USAGE, UserError } from './user-error.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseByteSize(text: string, option: string): number {
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new UserError(`--${option}: "${text}" is not a size (try 256k or 4M)`, EX_USAGE);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}
