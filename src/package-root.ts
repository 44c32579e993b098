// The package's root directory, found from beside this file: src/package-root.ts,
// dist/package-root.js and the CLI bundle dist/ptyplex-cli.cjs (where this
// module ends up) all sit one level below it. A module deeper in the tree
// must not count levels from its own place: bundled, its code lives in the
// bundle, one level down, whatever folder its source was in.
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
