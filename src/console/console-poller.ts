// ConsolePoller is the Kqueuer/Epoller of containerd/console: it owns a
// Poller, adds consoles to it (non-blocking, edge-triggered) and unregisters
// them in closeConsole, the callback a console's shutdown is given.
import { native } from '../native.js';
import { Desc, fdOf, type Filer } from '../poller/desc.js';
import { Event } from '../poller/event.js';
import { Poller } from '../poller/poller.js';
import { check } from '../sys-error.js';
import { PollConsole } from './poll-console.js';

interface Entry {
  readonly desc: Desc;
  readonly console: PollConsole;
}

export class ConsolePoller {
  readonly poller: Poller;
  private readonly owned: boolean;
  private readonly consoles = new Map<number, Entry>();

  /** Uses `poller` if given (and leaves it open on close), else its own. */
  constructor(poller?: Poller) {
    this.poller = poller ?? new Poller();
    this.owned = poller === undefined;
  }

  /** Number of consoles registered. */
  get size(): number {
    return this.consoles.size;
  }

  /**
   * Registers a console fd (a number, or anything with an fd) for
   * edge-triggered reads and writes, after making it non-blocking, and
   * returns the PollConsole to do I/O through.
   */
  add(source: Filer): PollConsole {
    const fd = fdOf(source);
    check(native.setNonBlocking(fd, true), 'setNonBlocking', fd);
    const console = new PollConsole(fd, this.closeConsole);
    const desc = new Desc(fd, Event.Read | Event.Write | Event.EdgeTriggered);
    this.poller.start(desc, (ev) => {
      // The poller is gone: no signal will ever come again, so end the
      // console's reads and writes instead of leaving them parked.
      if (ev & Event.PollerClosed) console.shutdown(() => this.consoles.delete(fd));
      else console.signal();
    });
    this.consoles.set(fd, { desc, console });
    return console;
  }

  /** Unregisters the console's fd; the shutdown callback. Idempotent. */
  readonly closeConsole = (fd: number): void => {
    const entry = this.consoles.get(fd);
    if (entry === undefined) return;
    this.consoles.delete(fd);
    if (!this.poller.isClosed) this.poller.stop(entry.desc);
  };

  /** The console registered for fd, if any. */
  get(fd: number): PollConsole | undefined {
    return this.consoles.get(fd)?.console;
  }

  /** Shuts down every console, then closes the poller if this owns it. */
  close(): void {
    for (const { console } of [...this.consoles.values()]) console.shutdown();
    if (this.owned) this.poller.close();
  }
}
