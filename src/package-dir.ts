// The package's own directory: this file (src/package-dir.ts, or
// dist/package-dir.js) and the CLI bundle (dist/ptyplex-cli.cjs) all sit
// one level below it, so files the package ships (web/, package.json) are
// found the same way from the sources, the compiled code and the bundle.
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR: string = fileURLToPath(new URL('..', import.meta.url));
