// Issue 14: expect's and ls's result goes to fd 1 with write(2), without
// Node's stdout stream; a non-blocking pipe that fills gets the stream for
// the rest: every byte, in order.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = path.join(import.meta.dirname, '..', 'dist');

// Runs script (an ES module) with fd 1 a non-blocking pipe that nobody
// reads for half a second, far less than the script writes: then reads it
// all, and checks it is the lines 0, 1, 2 ... every one, in order, as many
// bytes as the script says (on stderr) it wrote.
async function intoFullPipe(script: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const { native } = await import(${JSON.stringify(path.join(dist, 'native.js'))});
    if (native.setNonBlocking(1, true) !== 0) throw new Error('cannot make fd 1 non-blocking');
    ${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 500));
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stdout.resume();
  const status = await new Promise((r) => child.once('close', r));
  expect(status, stderr).toBe(0);
  const out = Buffer.concat(chunks).toString();
  expect(out.length).toBe(Number(stderr));
  const lines = out.split('\n');
  expect(lines.slice(0, -1).every((l, i) => l === String(i))).toBe(true);
}

describe('14 print', () => {
  it('a full non-blocking pipe: what write(2) could not take goes through the stream, every byte in order', async () => {
    // 4 MiB, far more than a pipe holds.
    await intoFullPipe(`const { print } = await import(${JSON.stringify(path.join(dist, 'cli/print.js'))});
      let text = '';
      for (let i = 0; text.length < 4 * 1024 * 1024; i++) text += i + '\\n';
      print(text);
      process.stderr.write(String(text.length));`);
  }, 30_000);

  it("tee --no-follow's writer: chunk after chunk into a pipe that fills, what write(2) could not take goes through the stream, and nothing overtakes it", async () => {
    await intoFullPipe(`const { DirectStdout } = await import(${JSON.stringify(path.join(dist, 'cli/direct-stdout.js'))});
      const out = new DirectStdout();
      let n = 0;
      for (let i = 0; n < 4 * 1024 * 1024; i++) { const line = i + '\\n'; n += line.length; out.write(Buffer.from(line)); }
      out.end(() => process.stderr.write(String(n)));`);
  }, 30_000);

  it('a write that fails (a full disk under stdout) is one line, not a stack trace', async () => {
    if (!fs.existsSync('/dev/full')) throw new Error('this test needs /dev/full');
    const script = `const { print } = await import(${JSON.stringify(path.join(dist, 'cli/print.js'))});
      try { print('x\\n'); } catch (err) { process.stderr.write(err.name + ': ' + err.message + ' ' + err.exitCode); }`;
    const out = fs.openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
      expect(r.stderr).toBe('UserError: cannot write to standard output: ENOSPC 74');
    } finally {
      fs.closeSync(out);
    }
  });
});
