// Test fixtures over real PTYs and processes: no mocks.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../../src/native.js';
import { check } from '../../src/sys-error.js';

/** A new PTY master whose slave nobody has opened. */
export function openMaster(): { master: number; slavePath: string } {
  const master = check(native.openPt(), 'openPt');
  const name = native.ptsName(master);
  if (typeof name !== 'string') throw new Error(`ptsName: ${name}`);
  return { master, slavePath: name };
}

/** Opens a PTY slave without making it our controlling terminal. */
export function openSlave(slavePath: string): number {
  return fs.openSync(slavePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
}

export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What a PTY in its default (cooked, ONLCR) mode turns `data` into. */
export function onlcr(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
}

/** A file of `size` bytes of numbered text lines with some ANSI colour. */
export function textFile(size: number, tag = 'ptyplex'): { file: string; data: Buffer } {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < size; i++) {
    const line = i % 7 === 0
      ? `\x1b[3${i % 8}m${tag} line ${i}\x1b[0m the quick brown fox ${i * 7919}\n`
      : `${tag} line ${i} jumps over the lazy dog ${(i * 104729) % 1000003}\n`;
    parts.push(line);
    len += line.length;
  }
  const data = Buffer.from(parts.join('')).subarray(0, size);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-test-')), `${tag}.txt`);
  fs.writeFileSync(file, data);
  return { file, data };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) this process spends while fn runs. */
export async function cpuSecondsDuring(fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
