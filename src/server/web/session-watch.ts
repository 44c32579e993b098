// The session as the page's console list shows it, kept current: while a
// page watches, the gateway asks the session server (`ls`) every second and
// passes on what changed (a console started, ended, hung up, was adopted,
// resized). With no page open it asks nothing, and learns of the session's
// end from its socket leaving the directory.
import fs from 'node:fs';
import path from 'node:path';
import { ControlClient, NotRespondingError } from '../control-client.js';
import type { SessionInfo } from '../session-info.js';

const POLL_MS = 1000;
const QUERY_DEADLINE_MS = 2000;

export type WatchNews = { type: 'session'; session: SessionInfo } | { type: 'not-responding'; error: string } | { type: 'ended'; reason: string };

export class SessionWatch {
  private readonly listeners = new Set<(news: WatchNews) => void>();
  private last: WatchNews | undefined;
  private lastText = '';
  private timer: NodeJS.Timeout | undefined;
  private asking = false;
  private dirWatch: fs.FSWatcher | undefined;
  /** Set once the session has ended: nothing more is asked. */
  ended: string | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly onEnd: (reason: string) => void,
  ) {}

  /** Asks once (the session must answer now); then watches its socket's directory. */
  async start(): Promise<SessionInfo> {
    const session = await ask(this.socketPath);
    this.publish({ type: 'session', session });
    try {
      this.dirWatch = fs.watch(path.dirname(this.socketPath), () => this.poll());
      this.dirWatch.on('error', () => undefined);
    } catch {
      // No watching here: a page's polling still sees the end.
    }
    return session;
  }

  /** Calls listener with the latest news now and with every change; returns a cancel. */
  subscribe(listener: (news: WatchNews) => void): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) listener(this.last);
    this.timer ??= setInterval(() => this.poll(), POLL_MS);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  close(): void {
    this.stopPolling();
    this.dirWatch?.close();
  }

  private stopPolling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    if (this.asking || this.ended !== undefined) return;
    this.asking = true;
    ask(this.socketPath).then(
      (session) => this.publish({ type: 'session', session }),
      (err: Error) => {
        if (err instanceof NotRespondingError) this.publish({ type: 'not-responding', error: err.message });
        else this.end(`the session has ended (${err.message})`);
      },
    ).finally(() => {
      this.asking = false;
    });
  }

  private end(reason: string): void {
    this.ended = reason;
    this.publish({ type: 'ended', reason });
    this.close();
    this.onEnd(reason);
  }

  private publish(news: WatchNews): void {
    const text = JSON.stringify(news);
    if (text === this.lastText) return;
    this.lastText = text;
    this.last = news;
    for (const l of [...this.listeners]) l(news);
  }
}

// An upgrade of the session server is not its end: the question is asked
// again until the new program answers (ControlClient.ask), as any command's.
async function ask(socketPath: string): Promise<SessionInfo> {
  const { client, reply } = await ControlClient.ask(socketPath, { op: 'ls' }, QUERY_DEADLINE_MS);
  client.close();
  return reply.session as SessionInfo;
}
