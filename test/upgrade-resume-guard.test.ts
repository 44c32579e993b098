// `ptyplex __resume` is how an upgrading server's new program takes over;
// anyone can type it. Run by hand it must not make a process adopt fds or
// pids it was not handed: a state that is not in a memfd of ours is
// refused before it is read, and one whose consoles' pids are not children
// of the resuming process (so not left by its previous program) is refused
// before any of them could be signalled. One line each, status 70.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { alive } from './helpers/tmux.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-resume-guard-'));
const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
afterAll(() => {
  bystander.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

// A state in the right format naming someone else's process as a console.
const forged = () => `${JSON.stringify({ format: 'ptyplex-upgrade', version: 1 })}\n${JSON.stringify({ consoles: [{ spec: { name: 'victim' }, pid: bystander.pid, fd: 0 }], run: { args: {} } })}`;

describe('ptyplex __resume by hand', () => {
  it('a state in a plain file is refused before it is read', () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, forged());
    const fd = fs.openSync(file, 'r');
    const r = spawnSync(process.execPath, [BIN, '__resume', '--state-fd', '3'], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8', timeout: 30_000 });
    fs.closeSync(fd);
    expect(r.stderr).toBe(`ptyplex: fd 3 is not an upgrade state a ptyplex server handed over (it is ${file})\n`);
    expect(r.status).toBe(70);
    expect(alive(bystander.pid!)).toBe(true);
  });

  it("a memfd of the right name whose console is not the resumer's child is refused; that process is left alone", () => {
    // Python makes the memfd (inheritable) and execs ptyplex with it, as an upgrade would.
    const py = `import os,sys\nfd=os.memfd_create('ptyplex-upgrade',0)\nos.write(fd,sys.stdin.buffer.read())\nos.execv(sys.argv[1],[sys.argv[1],sys.argv[2],'__resume','--state-fd',str(fd)])\n`;
    const r = spawnSync('python3', ['-c', py, process.execPath, BIN], { input: forged(), encoding: 'utf8', timeout: 30_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe(`ptyplex: console "victim": pid ${bystander.pid} is not a child of this process, so this is not a state its previous program left; refused\n`);
    expect(r.status).toBe(70);
    expect(alive(bystander.pid!)).toBe(true);
  });
});
