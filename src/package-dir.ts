// The package's own directory, for the files it ships beside its code (web/).
// Found from this file, as version.ts finds package.json: src/package-dir.ts,
// dist/package-dir.js and the CLI bundle dist/ptyplex-cli.cjs all sit one
// level below the package root (a path counted from a deeper folder, such as
// src/server/web/, is wrong once the code is bundled into dist/).
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR: string = fileURLToPath(new URL('..', import.meta.url));
