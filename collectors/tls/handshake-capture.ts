/**
 * Capture a TLS server's certificate chain exactly as it was sent on the wire.
 *
 * Node's `tlsSocket.getPeerCertificate(true)` rebuilds, reorders and prunes the
 * chain, and no npm library exposes the raw TLS Certificate handshake message
 * (the full reasoning is in `src/pki/tls/certificate-message.ts`). So we:
 *
 *   1. tap the inbound TCP bytes under the TLS socket (`./byte-tap.ts`),
 *   2. collect the handshake secrets through the TLSSocket 'keylog' event,
 *   3. parse the recorded records ourselves (`src/pki/tls/`): the record layer,
 *      the Certificate message, and for TLS 1.3 the key schedule that opens the
 *      encrypted handshake records with the keylog secret.
 *
 * This module only wires those parts to a live connection.
 */
import type { Socket } from "node:net";
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { extractServerCertificates } from "../../src/pki/tls/certificate-message.js";
import { type InboundTap, tapInbound } from "./byte-tap.js";

export { HandshakeCaptureError, type HandshakeCaptureErrorCode } from "../../src/pki/tls/records.js";

export interface HandshakeCapture {
  readonly tlsSocket: TLSSocket;
  readonly tap: InboundTap;
  /** Call after 'secureConnect': the server's certificates (DER) in the order sent. */
  serverCertificates(): Buffer[];
}

/**
 * Start a TLS client over `socket` through an inbound tap, with keylog
 * collection attached before any handshake byte can arrive (secrets logged
 * before a 'keylog' listener exists are lost).
 */
export function connectWithCapture(
  socket: Socket,
  options: Omit<ConnectionOptions, "socket">,
  maxRecordedBytes?: number,
): HandshakeCapture {
  const tap = tapInbound(socket, maxRecordedBytes);
  const tlsSocket = connect({ ...options, socket: tap.stream });
  const keylog: Buffer[] = [];
  tlsSocket.on("keylog", (line: Buffer) => keylog.push(line));
  return {
    tlsSocket,
    tap,
    serverCertificates: () =>
      extractServerCertificates({
        inbound: tap.recorded(),
        keylog,
        protocol: tlsSocket.getProtocol() ?? "",
        cipherStandardName: tlsSocket.getCipher().standardName,
      }),
  };
}
