// Supervision settings as users write them: each mistake is refused before
// anything starts, in one line with the file and the line; and the
// variables of .env files (beside a Procfile, env_file:, --env-file) reach
// the consoles, read by dotenv.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ptyplexPlain } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptyplex-supcfg-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text.replaceAll('$DIR', dir));
  return dir;
}

/** A ptyplex.yaml whose first console would leave a file behind if anything started. */
const head = 'consoles:\n  first: touch $DIR/started\n';

const BAD: Array<[string, string, number, RegExp]> = [
  ['an unknown condition', `${head}  web:\n    cmd: "true"\n    depends_on: { first: healthy }\n`, 5, /depends_on first: unknown condition "healthy" \(expected started, ready, completed, completed_successfully\)/],
  ['a dependency that does not exist', `${head}  web:\n    cmd: "true"\n    depends_on: { nosuch: ready }\n`, 5, /no console named "nosuch"/],
  ['a cycle', `${head}  a:\n    cmd: "true"\n    depends_on: [b]\n  b:\n    cmd: "true"\n    depends_on: { a: ready }\n`, 5, /cycle/],
  ['restart: sometimes', `${head}  web:\n    cmd: "true"\n    restart: sometimes\n`, 5, /restart must be one of no, on-failure, always, not "sometimes"/],
  ['a negative backoff', `${head}  web:\n    cmd: "true"\n    restart: always\n    backoff: { initial: -1s }\n`, 6, /backoff initial must not be negative/],
  ['a backoff of 0 (a hot restart loop)', `${head}  web:\n    cmd: "true"\n    restart: always\n    backoff: 0\n`, 6, /backoff initial must be at least 100ms \(got 0 ms\)/],
];

describe('supervision configuration', () => {
  it.each(BAD)('13.7 refused before anything starts, with file and line: %s', (_what, yaml, line, reason) => {
    const dir = scratch({ 'ptyplex.yaml': yaml });
    const file = path.join(dir, 'ptyplex.yaml');
    const r = ptyplexPlain(['run', '-f', file]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith(`ptyplex: ${file}:${line}: `), r.stderr).toBe(true);
    expect(lines[0]).toMatch(reason);
    expect(fs.existsSync(path.join(dir, 'started'))).toBe(false);
  });

  it('13.8 .env beside a Procfile, env_file per console and --env-file reach the consoles (dotenv quoting; env: wins)', () => {
    const dir = scratch({
      Procfile: 'show: echo "P=$FROM_DOT_ENV Q=$QUOTED" > $DIR/procfile.out\n',
      '.env': 'FROM_DOT_ENV=dot\nQUOTED="two words" # a comment\n',
      'web.env': 'A=from-file\nB=from-file\n',
      'common.env': 'C=common\n',
      'ptyplex.yaml': 'consoles:\n  web:\n    cmd: echo "$A $B $C" > $DIR/yaml.out\n    env_file: web.env\n    env: { B: from-env }\n',
    });
    expect(ptyplexPlain(['run', '-f', path.join(dir, 'Procfile')])).toMatchObject({ status: 0 });
    expect(fs.readFileSync(path.join(dir, 'procfile.out'), 'utf8')).toBe('P=dot Q=two words\n');
    expect(ptyplexPlain(['run', '-f', path.join(dir, 'ptyplex.yaml'), '--env-file', path.join(dir, 'common.env')])).toMatchObject({ status: 0 });
    expect(fs.readFileSync(path.join(dir, 'yaml.out'), 'utf8')).toBe('from-file from-env common\n');
    const missing = ptyplexPlain(['run', '-f', path.join(dir, 'ptyplex.yaml'), '--env-file', path.join(dir, 'nope.env')]);
    expect(missing.status).not.toBe(0);
    // Node 20 itself looks for --env-file anywhere in argv and says "node: FILE: not found" first (fixed in later Node).
    expect(missing.stderr).toMatch(/^(ptyplex|\S*node): \S*nope\.env: (cannot read: ENOENT|not found)\n$/);
  });
});
