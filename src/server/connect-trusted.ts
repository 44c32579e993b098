// A Node socket to a local control socket, checked as a client's own
// connection is (ControlClient.connect): for `ptyplex dial-stdio`, which
// pipes it to ssh's stdio, so a client on another machine gets the same
// check on this side.
import net from 'node:net';
import { untrustedServer } from './peer.js';
import { SessionError } from './session-error.js';
import { connectRefusal } from './socket-file.js';
import { socketFd } from './unix-socket.js';

/** Connects and checks whose server it is; throws a SessionError that says why not. */
export function connectTrusted(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      const fd = socketFd(socket);
      const refusal = fd === undefined ? 'cannot tell whose server this is' : untrustedServer(fd);
      if (refusal === undefined) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(new SessionError(`${path}: ${refusal}`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(connectRefusal(path, err.code ?? err.message)));
  });
}
