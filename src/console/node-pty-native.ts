// node-pty's native binding, used below its JS class on purpose: node-pty's
// spawn() starts its own tty.ReadStream on the master at once, and a second
// reader on the same fd races it for bytes. Its binding's fork() returns the
// master with no reader attached and reports the exit through a callback;
// bytes the child wrote stay readable on the master after that callback.
// This leans on node-pty's internals, hence the pinned version and the test
// (test/node-pty-pin.test.ts) that fails if they move.
import { createRequire } from 'node:module';
import path from 'node:path';

export const PINNED_NODE_PTY = '1.1.0';

export interface ForkResult {
  fd: number;
  pid: number;
  /** The slave's path, e.g. /dev/pts/3. */
  pty: string;
}

export interface NodePtyNative {
  fork(
    file: string,
    args: string[],
    env: string[],
    cwd: string,
    cols: number,
    rows: number,
    uid: number,
    gid: number,
    utf8: boolean,
    helperPath: string,
    onExit: (code: number, signal: number) => void,
  ): ForkResult;
}

interface Loaded {
  dir: string;
  module: NodePtyNative;
}

const require = createRequire(import.meta.url);

function load(): { binding: NodePtyNative; helperPath: string; version: string } {
  const version = (require('node-pty/package.json') as { version: string }).version;
  const libDir = path.dirname(require.resolve('node-pty/lib/utils.js'));
  const utils = require('node-pty/lib/utils.js') as { loadNativeModule(name: string): Loaded };
  const { dir, module } = utils.loadNativeModule('pty');
  // The spawn helper is only used on macOS (posix_spawn); node-pty resolves
  // it the same way, relative to its lib directory.
  return { binding: module, helperPath: path.resolve(libDir, dir, 'spawn-helper'), version };
}

let loaded: ReturnType<typeof load> | undefined;

/** node-pty's binding, its spawn-helper path and its installed version. */
export function nodePtyNative(): ReturnType<typeof load> {
  loaded ??= load();
  return loaded;
}
