// The session as the page's console list shows it, kept current: while a
// page watches, the gateway asks the session server (`ls`) every second
// (every few seconds over ssh, where each question is an ssh connection)
// and passes on what changed (a console started, ended, hung up, was
// adopted, resized). With no page open it learns of the session's end from
// its socket leaving the directory, or, for a session on another machine,
// by asking now and then. A server being upgraded is not an ended one: it
// refuses with "upgrading", or (between its two programs) takes a question
// without answering while its `.upgrading` mark is there; the pages are
// told it is upgrading, and the watch goes on. The mark alone is believed
// for MARK_TRUST_MS (a server that died mid-upgrade leaves it behind).
// Over ssh, one failed question may be the network: the session has ended
// when two in a row fail.
import fs from 'node:fs';
import path from 'node:path';
import { ControlClient, NotRespondingError, UpgradingError } from '../control-client.js';
import type { SessionInfo } from '../session-info.js';
import { upgradingNow } from '../upgrade-mark.js';

const POLL_MS = 1000;
const REMOTE_POLL_MS = 2000;
/** Over ssh with no page open: how often to check the session is still there. */
const REMOTE_IDLE_POLL_MS = 10_000;
const QUERY_DEADLINE_MS = 2000;
/** How long an `.upgrading` mark with no server answering is taken for an upgrade. */
const MARK_TRUST_MS = 30_000;

/** The session's server: its socket on this machine, or a way to connect to it (ssh). */
export type SessionAddress = string | (() => Promise<ControlClient>);

export type WatchNews =
  | { type: 'session'; session: SessionInfo }
  | { type: 'not-responding'; error: string }
  | { type: 'upgrading' }
  | { type: 'ended'; reason: string };

export class SessionWatch {
  private readonly listeners = new Set<(news: WatchNews) => void>();
  private last: WatchNews | undefined;
  private lastText = '';
  private timer: NodeJS.Timeout | undefined;
  private asking = false;
  private dirWatch: fs.FSWatcher | undefined;
  /** Since when only the upgrade mark has said the session is alive. */
  private markedSince: number | undefined;
  /** Over ssh: the last question failed (a second failure is the end). */
  private failedOnce = false;
  /** Set once the session has ended: nothing more is asked. */
  ended: string | undefined;

  constructor(
    private readonly to: SessionAddress,
    private readonly onEnd: (reason: string) => void,
  ) {}

  /** Asks once (the session must answer now, an upgrade waited out); then watches for its end. */
  async start(): Promise<SessionInfo> {
    const { client, reply } = await ControlClient.ask(this.to, { op: 'ls' }, QUERY_DEADLINE_MS);
    client.close();
    const session = reply.session as SessionInfo;
    this.publish({ type: 'session', session });
    if (typeof this.to === 'string') {
      try {
        this.dirWatch = fs.watch(path.dirname(this.to), () => this.poll());
        this.dirWatch.on('error', () => undefined);
      } catch {
        // No watching here: a page's polling still sees the end.
      }
    }
    this.schedule();
    return session;
  }

  /** Calls listener with the latest news now and with every change; returns a cancel. */
  subscribe(listener: (news: WatchNews) => void): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) listener(this.last);
    if (this.listeners.size === 1) this.schedule();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.schedule();
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.dirWatch?.close();
  }

  // Asks every second while pages watch; with none, only a remote session
  // is asked (now and then): a local one's end shows in its directory.
  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.ended !== undefined) return;
    const local = typeof this.to === 'string';
    // While upgrading, asked as if watched: a local one's end may then leave no trace in the directory.
    const watched = this.listeners.size > 0 || this.last?.type === 'upgrading';
    const ms = watched ? (local ? POLL_MS : REMOTE_POLL_MS) : local ? undefined : REMOTE_IDLE_POLL_MS;
    if (ms !== undefined) this.timer = setInterval(() => this.poll(), ms);
  }

  private poll(): void {
    if (this.asking || this.ended !== undefined) return;
    this.asking = true;
    this.askOnce()
      .then((answer) => this.take(answer))
      .finally(() => {
        this.asking = false;
      });
  }

  private take(answer: WatchNews | { type: 'failed'; why: string }): void {
    if (answer.type === 'failed') {
      if (typeof this.to === 'string' || this.failedOnce) return this.end(`the session has ended (${answer.why})`);
      this.failedOnce = true;
      answer = { type: 'not-responding', error: answer.why };
    } else {
      this.failedOnce = false;
    }
    const wasUpgrading = this.last?.type === 'upgrading';
    this.publish(answer);
    if (wasUpgrading !== (answer.type === 'upgrading')) this.schedule();
  }

  // One question, no waiting: the next poll asks again.
  private async askOnce(): Promise<WatchNews | { type: 'failed'; why: string }> {
    let client: ControlClient | undefined;
    try {
      client = typeof this.to === 'string' ? await ControlClient.connect(this.to) : await this.to();
      const session = (await client.request({ op: 'ls' }, QUERY_DEADLINE_MS)).session as SessionInfo;
      this.markedSince = undefined;
      return { type: 'session', session };
    } catch (err) {
      if (err instanceof UpgradingError) {
        this.markedSince = undefined;
        return { type: 'upgrading' };
      }
      if (this.marked()) return { type: 'upgrading' };
      const why = err instanceof Error ? err.message : String(err);
      if (err instanceof NotRespondingError) return { type: 'not-responding', error: why };
      return { type: 'failed', why };
    } finally {
      client?.close();
    }
  }

  /** A local server between its two programs (see upgrade-mark.ts), for a while at most. */
  private marked(): boolean {
    if (typeof this.to !== 'string' || !upgradingNow(this.to)) {
      this.markedSince = undefined;
      return false;
    }
    this.markedSince ??= Date.now();
    return Date.now() - this.markedSince < MARK_TRUST_MS;
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
