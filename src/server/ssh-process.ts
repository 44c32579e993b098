// One ssh child, seen as a duplex byte stream (its stdin and stdout) that
// closes only once ssh has exited, so whoever reads the close can already
// say why it ended (ssh's status, signal and last stderr line). Its stderr
// is kept (the tail), never shown: an attached terminal is in raw mode.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';
import { sshFailure, sshInvocation, type SshEnd, type SshSettings } from './ssh-command.js';
import type { SshHost } from './ssh-host.js';

/** Enough of stderr for the last lines; ssh's chatter past that is dropped. */
const STDERR_TAIL = 16 * 1024;
/** How long ssh is given to end on SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 1000;

export class SshProcess {
  readonly stream: Duplex;
  /** Settles (never rejects) once ssh has exited and its stdio are closed. */
  readonly ended: Promise<SshEnd>;
  private end: SshEnd | undefined;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(
    readonly host: SshHost,
    remoteArgs: readonly string[],
    private readonly settings: SshSettings,
  ) {
    const { file, args } = sshInvocation(host, remoteArgs, settings);
    // Its own session: the terminal's Ctrl-C and job control are for us,
    // and we end ssh by closing its stdin; with no controlling terminal
    // ssh cannot prompt on /dev/tty either.
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    this.child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.ended = new Promise((resolve) => {
      let spawnError: NodeJS.ErrnoException | undefined;
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
      });
      this.child.once('close', (code, signal) => {
        this.end = { code, signal, stderr, spawnError };
        resolve(this.end);
      });
    });
    this.stream = new ChildDuplex(this.child, this.ended);
  }

  /** Why it ended, as one line naming the host; undefined while running or after a clean end. */
  failure(): string | undefined {
    return this.end === undefined ? undefined : sshFailure(this.host, this.end, this.settings);
  }

  kill(): void {
    killGroup(this.child);
  }
}

// The whole group: through PTYPLEX_SSH_COMMAND the child is `sh -c`, and
// ssh under it would outlive a signal to sh alone, holding our pipes open.
// One that ignores SIGTERM (a wedged ssh, a PTYPLEX_SSH_COMMAND that traps
// it) would do the same: it gets SIGKILL after KILL_GRACE_MS.
function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  signalGroup(child, 'SIGTERM');
  setTimeout(() => {
    if (!child.stdout.closed) signalGroup(child, 'SIGKILL');
  }, KILL_GRACE_MS).unref();
}

function signalGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

// Reads pass ssh's stdout on with backpressure (ssh's pipe is paused while
// our reader is full); writes go to its stdin. Errors on either pipe
// (EPIPE once ssh is gone) are not ours to report: the close that follows
// ssh's exit is, with the reason.
class ChildDuplex extends Duplex {
  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    ended: Promise<SshEnd>,
  ) {
    super({ allowHalfOpen: true });
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    // Closed only after every byte ssh wrote was read (a paused reader
    // keeps its buffered bytes until it reads them).
    void ended.then(() => {
      this.push(null);
      if (this.readableLength === 0) this.destroy();
      else this.once('end', () => this.destroy());
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.child.stdin.destroyed) {
      done();
      return;
    }
    this.child.stdin.write(chunk, () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    killGroup(this.child);
    done(err);
  }
}
