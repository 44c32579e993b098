// An upgrade at scale: 200 spawned consoles and 10 adopted runc container
// consoles (their PTY masters came over a console socket, their processes
// are runc's, not ours) all survive the switch: the same pids, all still
// running, every container still answers what is typed into it, and the
// console socket still adopts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerStatus, makeBundle, removeContainers, runContainer } from './helpers/runc.js';
import { testSessions, until } from './helpers/session.js';

const s = testSessions();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-upgrade-scale-'));
afterAll(() => {
  s.cleanup();
  removeContainers();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SPAWNED = 200;
const CONTAINERS = 10;
const log = (name: string) => {
  const file = path.join(dir, 'logs', `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
};

describe('ptyplex upgrade at scale', () => {
  it('200 consoles and 10 adopted runc containers all survive an upgrade: same pids, all running, every container answers', async () => {
    const t0 = Date.now();
    const sock = path.join(dir, 'console.sock');
    const yaml = Array.from({ length: SPAWNED }, (_, i) => `  c${i}:\n    cmd: exec sleep 600\n`).join('');
    fs.writeFileSync(path.join(dir, 'ptyplex.yaml'), `consoles:\n${yaml}`);
    const run = s.cli(['run', '-d', '-f', path.join(dir, 'ptyplex.yaml'), '--log-dir', path.join(dir, 'logs'), '--adopt', `ctr=${sock}`]);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    const bundle = makeBundle(['/bin/sh', '-c', 'echo container-up; exec /bin/sh']);
    const ids = Array.from({ length: CONTAINERS }, () => runContainer(bundle, sock));
    const names = ['ctr', ...Array.from({ length: CONTAINERS - 1 }, (_, i) => `ctr-${i + 2}`)];
    await until(() => s.describe().consoles.length === SPAWNED + CONTAINERS, `${SPAWNED + CONTAINERS} consoles`, 30_000);
    for (const name of names) await until(() => log(name).includes('container-up'), `${name}'s banner`);
    const before = s.describe();
    const tUp = Date.now();

    const up = s.cli(['upgrade'], { timeout: 60_000 });
    expect(up).toMatchObject({ status: 0, stderr: '' });
    const upgradeMs = Date.now() - tUp;
    const after = s.describe();
    expect(after.server).toMatchObject({ pid: before.server.pid, generation: 1 });
    const summary = (info: typeof before) => info.consoles.map((c) => `${c.name} ${c.pid} ${c.state}`);
    expect(summary(after)).toEqual(summary(before));
    expect(after.consoles.filter((c) => c.state === 'running')).toHaveLength(SPAWNED + CONTAINERS);
    expect(ids.map(containerStatus)).toEqual(ids.map(() => 'running'));

    // Each container's shell, under the new program, answers on its adopted master.
    names.forEach((name, k) => expect(s.cli(['send', name, `echo answer-$((${k}+100))\n`]).status).toBe(0));
    for (const [k, name] of names.entries()) await until(() => log(name).includes(`answer-${k + 100}\r\n`), `${name} to answer`);
    // The console socket was handed over too: it still adopts.
    runContainer(bundle, sock);
    await until(() => s.describe().consoles.some((c) => c.name === `ctr-${CONTAINERS + 1}`), 'an eleventh container, adopted after the upgrade', 15_000);
    console.log(`upgrade-scale: set-up ${tUp - t0} ms, upgrade of ${SPAWNED + CONTAINERS} consoles ${upgradeMs} ms (CLI round trip)`);
  }, 90_000);
});
