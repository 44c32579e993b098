// ptyplex's own version, from its package.json. Read from beside this file
// (src/version.ts and dist/version.js, like the CLI bundle in dist/, sit one
// level below the package root), never found by searching upwards from the
// current directory, where another project's package.json may be.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../package.json') as { version: string }).version;
