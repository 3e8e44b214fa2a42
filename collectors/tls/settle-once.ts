// One TLS handshake's ending, shared by the chain probe and the posture probes: whichever comes
// first of its own outcome, its timeout and the scan's interrupt settles it, once, and both
// sockets are closed (destroying the TLS socket does not always reach the raw socket under it).
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { whenInterrupted } from "./interrupt.js";

export interface HandshakeEnding<T> {
  tlsSocket: TLSSocket;
  socket: Socket;
  timeoutMs: number;
  /** What a handshake that outlives `timeoutMs` resolves to. */
  timedOut: T;
  signal: AbortSignal;
  /** What an interrupted handshake resolves to. */
  interrupted: T;
}

/** Arms the timeout and the interrupt; the returned `done` settles with the first outcome given. */
export function settleOnce<T>(resolve: (outcome: T) => void, ending: HandshakeEnding<T>): (outcome: T) => void {
  let settled = false;
  const done = (outcome: T): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    stopWaiting();
    ending.tlsSocket.destroy();
    ending.socket.destroy();
    resolve(outcome);
  };
  const timer = setTimeout(() => done(ending.timedOut), ending.timeoutMs);
  const stopWaiting = whenInterrupted(ending.signal, () => done(ending.interrupted));
  return done;
}
