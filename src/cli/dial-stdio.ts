// `ptyplex dial-stdio [-L NAME | -S PATH | --console NAME]`: the far end of
// -H ssh://... (as `docker system dial-stdio` is for DOCKER_HOST=ssh://).
// ssh runs it on the session's machine; it picks the session as a local
// command would (by -L/-S, by the console asked for, or the only/default
// one), connects with the local client's uid check, writes the hello frame
// (ssh-dial.ts) and then copies bytes both ways with backpressure until
// either side closes. `--ls` prints what `ls --json` would and exits: how a
// client lists a host's sessions.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { connectTrusted } from '../server/connect-trusted.js';
import { jsonFrame } from '../server/protocol.js';
import { localSessions } from './ls.js';
import { consoleTarget, sessionTarget, type TargetArgs } from './target.js';

export interface DialStdioArgs extends TargetArgs {
  console?: string | undefined;
  ls: boolean;
}

export async function dialStdioCommand(args: DialStdioArgs): Promise<number> {
  if (args.ls) {
    process.stdout.write(`${JSON.stringify(await localSessions(args))}\n`);
    return 0;
  }
  const target = args.console !== undefined ? await consoleTarget(args.console, args) : await sessionTarget(args);
  const socket = await connectTrusted(target);
  const out = stdoutStream();
  const stdin = process.stdin;
  out.write(jsonFrame({ dial: 'ptyplex', session: path.basename(target), socket: target }));
  // stdin's end (the client closed its side) is passed on as a half-close:
  // the reply to what it sent still comes back. The socket's end ends us.
  stdin.pipe(socket);
  socket.pipe(out, { end: false });
  const finished = new Promise<void>((resolve) => {
    // Everything the socket gave was written to out by then: flush it, go.
    socket.once('close', () => out.end(() => resolve()));
    // ssh is gone (EPIPE): nobody is left to read; hang up on the server.
    out.once('error', () => {
      socket.destroy();
      resolve();
    });
  });
  socket.on('error', () => undefined); // close follows.
  stdin.on('error', () => socket.destroy());
  await finished;
  stdin.unpipe(socket);
  stdin.destroy();
  return 0;
}

// Node writes to a pipe on fd 1 synchronously (process.stdout), which would
// stall the copy the other way while ssh is slow to read: a socket over
// the same fd writes asynchronously, with backpressure.
function stdoutStream(): Writable {
  const st = fs.fstatSync(1);
  return st.isFIFO() || st.isSocket() ? new net.Socket({ fd: 1, readable: false, writable: true }) : process.stdout;
}
