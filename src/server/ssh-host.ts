// A machine named by -H ssh://[user@]host[:port] (or PTYPLEX_HOST): what
// ssh is given to reach it, and how ptyplex names it to the user (the text
// after ssh://, as typed). Anything that could reach ssh as an option, or
// that no host name holds, is refused here, before any ssh runs.
import { SessionError } from './session-error.js';

export interface SshHost {
  /** As the user wrote it, without ssh:// (the HOST column, `host:console` labels). */
  readonly label: string;
  /** The host name or address, as ssh takes it (no brackets). */
  readonly host: string;
  readonly user?: string | undefined;
  readonly port?: number | undefined;
}

// Printable, no spaces, nothing a shell or ssh would read as syntax; a
// leading '-' would be an ssh option.
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.:%+~-]*$/;

export function parseSshHost(text: string): SshHost {
  const bad = (why: string) => new SessionError(`bad host ${JSON.stringify(text)}: ${why} (want ssh://[user@]host[:port])`);
  if (!text.startsWith('ssh://')) throw bad('only ssh:// is supported');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '' || url.password !== '') {
    throw bad('no path, query or password allowed');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!SAFE.test(host)) throw bad('no host name');
  let user: string | undefined;
  if (url.username !== '') {
    try {
      user = decodeURIComponent(url.username);
    } catch {
      throw bad('a user name that is not valid');
    }
    if (!SAFE.test(user)) throw bad('a user name with characters ssh would not take');
  }
  const port = url.port === '' ? undefined : Number(url.port);
  return { label: text.slice('ssh://'.length).replace(/\/$/, ''), host, user, port };
}

/** Whether `prefix` (the HOST of HOST:CONSOLE) names this host: its label, host[:port], or bare host. */
export function hostMatches(h: SshHost, prefix: string): boolean {
  const withPort = h.port === undefined ? h.host : `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
  return prefix === h.label || prefix === withPort || prefix === h.host;
}
