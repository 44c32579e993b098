// The page: a fixed list of files, read from the package (web/ and the
// xterm.js packages in node_modules), never from a CDN and never from a
// path a request names. They hold no data, so anyone who reaches the port
// may have them.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_DIR } from '../../package-dir.js';

export interface StaticFile {
  body: Buffer;
  type: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** Reads every file of the page once; throws if the package is incomplete. */
export function loadStaticFiles(): Map<string, StaticFile> {
  const web = path.join(PACKAGE_DIR, 'web');
  const require = createRequire(import.meta.url);
  const xterm = path.dirname(require.resolve('@xterm/xterm/package.json'));
  const fit = path.dirname(require.resolve('@xterm/addon-fit/package.json'));
  const files: [string, string, string][] = [
    ['/', path.join(web, 'index.html'), 'text/html; charset=utf-8'],
    ['/app.js', path.join(web, 'app.js'), JS],
    ['/style.css', path.join(web, 'style.css'), CSS],
    ['/vendor/xterm.mjs', path.join(xterm, 'lib', 'xterm.mjs'), JS],
    ['/vendor/xterm.css', path.join(xterm, 'css', 'xterm.css'), CSS],
    ['/vendor/addon-fit.mjs', path.join(fit, 'lib', 'addon-fit.mjs'), JS],
  ];
  return new Map(files.map(([url, file, type]) => [url, { body: fs.readFileSync(file), type }]));
}
