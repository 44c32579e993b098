// `ptyplex web --open`: the page opened in the user's browser without the
// token ever being on a command line. `xdg-open "$URL"` would put it in
// the opener's argv, which every local user can read in /proc/PID/cmdline
// (unless /proc is mounted hidepid=) and race to trade first. As Jupyter
// does, the URL goes into a small HTML file that redirects to it, in the
// session socket directory (0700, ours: checked), the file 0600; the
// browser is given file://... of that file. The file goes as soon as the
// token has been used, or when the gateway exits.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureSocketDir, socketDir } from '../server/socket-dir.js';

export class OpenFile {
  private removed = false;
  private readonly onExit = () => this.remove();

  private constructor(readonly file: string) {
    process.once('exit', this.onExit);
  }

  /** Writes the redirect to url into a new private file; throws (an errno Error or SessionError) if it cannot. */
  static write(url: string, env: NodeJS.ProcessEnv = process.env): OpenFile {
    const dir = socketDir(env);
    ensureSocketDir(dir);
    // A dot name: never taken for a session's socket when the directory is listed.
    const file = path.join(dir, `.web-${process.pid}-${crypto.randomBytes(6).toString('hex')}.html`);
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, redirectPage(url));
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    return new OpenFile(file);
  }

  get url(): string {
    return pathToFileURL(this.file).href;
  }

  /** Removes the file (once; nothing thrown: it may be gone already). */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    process.off('exit', this.onExit);
    fs.rmSync(this.file, { force: true });
  }
}

function redirectPage(url: string): string {
  const u = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0;url=${u}">\n<title>ptyplex web</title>\n<p><a href="${u}">Open ptyplex web</a></p>\n`;
}

/**
 * Starts a browser on target: each command of $BROWSER (colon-separated,
 * "%s" standing for the target, else it is appended), then xdg-open.
 * Resolves with the command started, or undefined if none could be.
 */
export async function startBrowser(target: string, env: NodeJS.ProcessEnv = process.env, onFail: (why: string) => void = () => undefined): Promise<string | undefined> {
  const commands = (env.BROWSER ?? '').split(':').map((c) => c.trim().split(/\s+/).filter(Boolean)).filter((c) => c.length > 0);
  commands.push(['xdg-open']);
  for (const [program, ...args] of commands) {
    const argv = args.some((a) => a.includes('%s')) ? args.map((a) => a.replace(/%s/g, target)) : [...args, target];
    if (await started(program!, argv, env, onFail)) return program;
  }
  return undefined;
}

// Whether the program could be started at all (a missing one is the next
// one's turn); one that starts and then fails is reported through onFail.
function started(program: string, argv: string[], env: NodeJS.ProcessEnv, onFail: (why: string) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, argv, { env, stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      child.once('exit', (code, signal) => {
        if (code !== 0) onFail(`${program} ${signal !== null ? `was killed by ${signal}` : `exited with status ${code}`}`);
      });
      resolve(true);
    });
  });
}
