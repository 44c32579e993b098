// What a page has not read yet is counted against it. A page that floods
// the gateway with bad messages (each answered with an error) while never
// reading its socket would otherwise have those answers queued in the
// gateway without bound. Past MAX_UNREAD the page is dropped: its socket
// is destroyed at once (a close handshake would wait on a page that does
// not read), its console's attach ends with it, the session is untouched.
// Console output never reaches this bound by itself: the bridge stops
// sending past HIGH_WATER undrawn (console-bridge.ts). Pings are the ws
// package's own: it drops a peer with 60 pongs unsent (maxPendingAutoPongs).
import type { WebSocket } from 'ws';

/** Bytes queued for a page, unread, past which it is dropped. */
export const MAX_UNREAD = 2 * 1024 * 1024;

/** Sends a text message, or drops a page that has not read MAX_UNREAD already. */
export function sendOrDrop(ws: WebSocket, text: string): void {
  if (ws.readyState !== ws.OPEN || dropIfBehind(ws)) return;
  ws.send(text);
}

function dropIfBehind(ws: WebSocket): boolean {
  if (ws.bufferedAmount <= MAX_UNREAD) return false;
  ws.terminate();
  return true;
}
