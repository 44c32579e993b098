// netpoll's Event bit flags, with its values (native/backend.h shares them).
// Read/Write/OneShot/EdgeTriggered configure a registration; the rest are
// reported to callbacks.
export enum Event {
  Read = 0x1,
  Write = 0x2,
  OneShot = 0x4,
  EdgeTriggered = 0x8,
  Hup = 0x10,
  ReadHup = 0x20,
  WriteHup = 0x40,
  Err = 0x80,
  PollerClosed = 0x8000,
}

const names: ReadonlyArray<readonly [Event, string]> = [
  [Event.Read, 'Read'],
  [Event.Write, 'Write'],
  [Event.OneShot, 'OneShot'],
  [Event.EdgeTriggered, 'EdgeTriggered'],
  [Event.Hup, 'Hup'],
  [Event.ReadHup, 'ReadHup'],
  [Event.WriteHup, 'WriteHup'],
  [Event.Err, 'Err'],
  [Event.PollerClosed, 'PollerClosed'],
];

// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace Event {
  /** "Read|Hup" for 0x11; unknown bits as hex; "0" for none. */
  export function toString(ev: number): string {
    const parts: string[] = [];
    let rest = ev;
    for (const [bit, name] of names) {
      if (ev & bit) {
        parts.push(name);
        rest &= ~bit;
      }
    }
    if (rest) parts.push(`0x${rest.toString(16)}`);
    return parts.length ? parts.join('|') : '0';
  }
}

/** The bits a registration may ask for. */
export const INTEREST_MASK = Event.Read | Event.Write | Event.OneShot | Event.EdgeTriggered;
