// A control client on another machine: ssh runs `ptyplex dial-stdio` there,
// which connects to the session's socket (as that user, with the same uid
// check as a local client) and says so with one JSON frame, the hello:
// {"dial":"ptyplex","session":NAME,"socket":PATH}. From then on the bytes
// are the control protocol itself. The hello is what tells a host that
// answers from one that does not: until it comes (ssh's handshake, the
// remote Node starting), the deadline runs.
import { ControlClient } from './control-client.js';
import { MAX_REPLY } from './protocol.js';
import { SessionError } from './session-error.js';
import type { SshSettings } from './ssh-command.js';
import type { SshHost } from './ssh-host.js';
import { SshProcess } from './ssh-process.js';

export { SSH_DEADLINE_MS } from './ssh-command.js';

export interface Dialed {
  readonly client: ControlClient;
  /** The remote session's name and socket path (to reach the same session again: -S). */
  readonly session: string;
  readonly socket: string;
}

export interface DialOptions {
  readonly settings: SshSettings;
  readonly deadlineMs: number;
}

/**
 * Connects to a session on host; dialArgs pick it as on that host's own
 * command line (-L NAME, -S PATH, --console NAME, or none). Throws a
 * SessionError, one line naming the host, when it cannot.
 */
export function dialSsh(host: SshHost, dialArgs: readonly string[], opts: DialOptions): Promise<Dialed> {
  const ssh = new SshProcess(host, ['dial-stdio', ...dialArgs], opts.settings);
  const client = ControlClient.over(ssh.stream, host.label, () => ssh.failure() ?? `the session server on ${host.label} hung up`);
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      client.off('message', onHello);
      client.off('close', onClose);
    };
    const timer = setTimeout(() => {
      done();
      ssh.kill();
      reject(new SessionError(noAnswer(host, opts.deadlineMs)));
    }, opts.deadlineMs);
    const onHello = (msg: Record<string, unknown>) => {
      done();
      if (msg.dial !== 'ptyplex' || typeof msg.session !== 'string' || typeof msg.socket !== 'string') {
        client.destroy();
        reject(new SessionError(`${host.label}: the remote ptyplex did not answer as dial-stdio does (a different version?)`));
        return;
      }
      client.nameServer(`${host.label}:${msg.session}`, host.label);
      resolve({ client, session: msg.session, socket: msg.socket });
    };
    const onClose = ({ reason }: { reason: string }) => {
      done();
      reject(new SessionError(reason));
    };
    client.on('message', onHello);
    client.on('close', onClose);
  });
}

/**
 * Runs `ptyplex REMOTEARGS...` on host with nothing on its stdin and
 * returns what it printed; a failure or no end within the deadline is a
 * SessionError naming the host.
 */
export async function sshOutput(host: SshHost, remoteArgs: readonly string[], opts: DialOptions): Promise<string> {
  const ssh = new SshProcess(host, remoteArgs, opts.settings);
  const chunks: Buffer[] = [];
  let size = 0;
  // A host that floods us is cut off, as a server's oversized reply is.
  ssh.stream.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_REPLY) chunks.push(c);
    else ssh.kill();
  });
  ssh.stream.on('error', () => undefined);
  ssh.stream.end();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), opts.deadlineMs);
  });
  const end = await Promise.race([ssh.ended, late]);
  clearTimeout(timer);
  if (end === undefined) {
    ssh.kill();
    throw new SessionError(noAnswer(host, opts.deadlineMs));
  }
  if (size > MAX_REPLY) throw new SessionError(`${host.label}: answered with more than ${MAX_REPLY / 1048576} MiB; cut off`);
  const failure = ssh.failure();
  if (failure !== undefined) throw new SessionError(failure);
  return Buffer.concat(chunks).toString('utf8');
}

function noAnswer(host: SshHost, ms: number): string {
  return `${host.label}: no answer within ${ms / 1000}s (ssh, or ptyplex on that host, is stuck or unreachable)`;
}
