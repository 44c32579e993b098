// We drive node-pty's native fork() below its JS class (see
// src/console/node-pty-native.ts). This fails the moment the installed
// node-pty moves: a new version, a changed fork() shape or exit callback.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PINNED_NODE_PTY, nodePtyNative } from '../src/console/node-pty-native.js';
import { native } from '../src/native.js';
import { sleep } from './helpers/pty.js';

describe('node-pty internals we rely on', () => {
  it('is the pinned version, in package.json too', () => {
    const require = createRequire(import.meta.url);
    const pkg = require('../package.json') as { dependencies: Record<string, string> };
    expect(pkg.dependencies['node-pty']).toBe(PINNED_NODE_PTY);
    expect(nodePtyNative().version).toBe(PINNED_NODE_PTY);
  });

  it('fork() returns {fd, pid, pty} with no reader, and bytes outlive onExit', async () => {
    const { binding, helperPath } = nodePtyNative();
    let exit: [number, number] | undefined;
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
    const term = binding.fork('/bin/sh', ['-c', 'printf "tail bytes"; exit 7'], env, process.cwd(),
      80, 24, -1, -1, true, helperPath, (code, signal) => (exit = [code, signal]));
    expect(typeof term.fd).toBe('number');
    expect(term.pid).toBeGreaterThan(0);
    expect(term.pty).toMatch(/^\/dev\/pts\/\d+$/);
    expect(native.isatty(term.fd)).toBe(1);
    while (exit === undefined) await sleep(10);
    expect(exit).toEqual([7, 0]);
    // Nobody else read the master: every byte is still there after the exit.
    const buf = Buffer.alloc(64);
    expect(buf.subarray(0, native.read(term.fd, buf, 0, 64)).toString()).toBe('tail bytes');
    native.close(term.fd);
  });
});
