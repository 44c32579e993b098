// Console sockets a session listens on, and what becomes of each master
// that arrives: a console of the session named after the request (web,
// web-2 ...), teed to the sinks a spawned console would get. While any
// socket listens the session is held open, even with no console yet.
import { startOrphanReaper } from '../console/orphan-reaper.js';
import { native } from '../native.js';
import { ConsoleSocketListener, type HeldListener } from './console-socket.js';

/** A console socket listening when the server upgraded, and what it was asked. */
export interface HeldAdoption {
  req: AdoptRequest;
  listener: HeldListener;
}
import type { ConsoleSpec } from '../config/console-spec.js';
import type { Session } from '../session/session.js';
import type { Sink } from '../session/sinks/sink.js';

export interface AdoptRequest {
  /** The console socket's path. */
  socket: string;
  /** The consoles' name: NAME, then NAME-2 ... */
  name: string;
  /** Stop listening after the first console. */
  once?: boolean;
  /** End an adopted console this many ms after its last slave closed. */
  closeOnHangup?: number;
  /** How its consoles stop (from ptyplex.yaml): steps and order. */
  stop?: Pick<ConsoleSpec, 'stop' | 'stopAfter' | 'dependsOn'>;
}

export class Adoption {
  private readonly listeners = new Map<ConsoleSocketListener, () => void>();
  private readonly requests = new Map<ConsoleSocketListener, AdoptRequest>();
  private reaping = false;
  private stopReaper: () => void = () => undefined;

  constructor(
    private readonly session: Session,
    private readonly sinksFor: (spec: ConsoleSpec) => Sink[],
    private readonly size: () => { cols: number; rows: number },
    private readonly log: (line: string) => void,
  ) {}

  /** Listens on req.socket; resolves once listening, throws SessionError if it cannot. */
  async listen(req: AdoptRequest, held?: HeldListener): Promise<void> {
    const listener = new ConsoleSocketListener(req.socket);
    if (held !== undefined) await listener.resume(held);
    else await listener.listen();
    this.requests.set(listener, req);
    // A container started by one of our consoles (`runc run -d`) is
    // re-parented to us when the runtime exits: its exit status becomes
    // ours to collect, and the adopted console ends with it.
    // Orphans of every console then come to us too: they are reaped as they
    // exit, leaving the consoles' own children to node-pty.
    const stop = this.reaping ? undefined : startOrphanReaper(() => [...this.session.consoles.values()].flatMap((c) => (c.child.pid === null ? [] : [c.child.pid])));
    if (stop !== undefined) {
      this.reaping = true;
      this.stopReaper = stop;
    }
    this.listeners.set(listener, this.session.hold());
    listener.on('log', (line) => this.log(`${req.socket}: ${line}`));
    listener.on('console', (fd, sent) => {
      const spec: ConsoleSpec = { ...req.stop, name: this.session.freeName(req.name), cmd: '', adopt: req.socket };
      try {
        const closeOnHangup = req.closeOnHangup;
        this.session.adopt(spec, fd, this.sinksFor(spec), this.size(), { reapLeader: this.reaping, ...(closeOnHangup !== undefined && { closeOnHangup }) });
        this.log(`${req.socket}: adopted ${JSON.stringify(sent)} as ${spec.name}`);
      } catch (err) {
        native.close(fd);
        this.log(`${req.socket}: cannot adopt a console: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (req.once) this.stop(listener);
    });
  }

  /** The sockets listening now, for an upgrade to hand over. */
  get held(): HeldAdoption[] {
    return [...this.requests].flatMap(([l, req]) => (l.held === undefined ? [] : [{ req, listener: l.held }]));
  }

  /** Whether this made the process a subreaper (an upgraded server does it again). */
  get subreaper(): boolean {
    return this.reaping;
  }

  /** Reaps orphans again after an upgrade, with no socket to listen on. */
  reapOrphans(): void {
    if (this.reaping) return;
    const stop = startOrphanReaper(() => [...this.session.consoles.values()].flatMap((c) => (c.child.pid === null ? [] : [c.child.pid])));
    if (stop === undefined) return;
    this.reaping = true;
    this.stopReaper = stop;
  }

  /** Every socket being listened on. */
  get sockets(): string[] {
    return [...this.listeners.keys()].map((l) => l.path);
  }

  /** Stops listening everywhere (kill-server, Ctrl-C). */
  close(): void {
    for (const l of [...this.listeners.keys()]) this.stop(l);
  }

  /** At the session's end: no more reaping, and no longer a subreaper. */
  dispose(): void {
    this.close();
    this.stopReaper();
  }

  private stop(listener: ConsoleSocketListener): void {
    listener.close();
    this.listeners.get(listener)?.();
    this.listeners.delete(listener);
    this.requests.delete(listener);
  }
}
