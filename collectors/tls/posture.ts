// Protocol posture (`--protocols`): which TLS versions an endpoint accepts, one extra handshake
// per version with the client pinned to it (minVersion = maxVersion). The probes run one after
// another in the endpoint's own slot of the sweep, so they never add to the concurrency bound,
// and each keeps the scan's connect and handshake timeouts. How the connection gets ready for a
// ClientHello (a TCP connect, or a connect and a STARTTLS preamble) is the caller's: each
// handshake needs a fresh connection, preamble included.
import type { Socket } from "node:net";
import { type SecureContext, connect as tlsConnect, createSecureContext } from "node:tls";
import {
  type ProtocolProbeResult, type ProtocolSupport, TLS_PROTOCOL_VERSIONS, type TlsProtocolVersion,
} from "../../src/model/types.js";
import { settleOnce } from "./settle-once.js";

/** A fresh connection on which the next byte the server expects is a ClientHello, or why there is none. */
export type ReadyForTls = () => Promise<{ socket: Socket } | { error: string }>;

// One context per version, built once. SECLEVEL=0 because OpenSSL 3 refuses TLS 1.0 and 1.1 (and
// their SHA-1 signatures) at its default level 1 and above: the point is to see what is offered.
const PINNED: Record<TlsProtocolVersion, SecureContext> = Object.fromEntries(
  TLS_PROTOCOL_VERSIONS.map((v) => [v, createSecureContext({ ciphers: "ALL:@SECLEVEL=0", minVersion: v, maxVersion: v })]),
) as Record<TlsProtocolVersion, SecureContext>;

/**
 * OpenSSL error codes that mean the server will not speak the version: it sent an alert
 * (protocol_version, handshake_failure, insufficient_security: ERR_SSL_*_ALERT_*), or answered
 * with another version than the one we pinned.
 */
const REFUSAL_CODES = /^ERR_SSL_(?:.*_ALERT_.*|UNSUPPORTED_PROTOCOL|WRONG_VERSION_NUMBER|VERSION_TOO_(?:LOW|HIGH))$/;

/** Every version of TLS_PROTOCOL_VERSIONS, oldest first; stops early (each one an error) when the scan is interrupted. */
export async function probeProtocols(
  ready: ReadyForTls, sni: string | null, handshakeMs: number, signal: AbortSignal,
): Promise<ProtocolSupport> {
  const support: ProtocolSupport = {};
  for (const version of TLS_PROTOCOL_VERSIONS) {
    if (signal.aborted) {
      support[version] = { outcome: "error", error: "scan interrupted before this version was tried" };
      continue;
    }
    const connection = await ready();
    support[version] = "error" in connection
      ? { outcome: "error", error: connection.error }
      : await pinnedHandshake(connection.socket, version, sni, handshakeMs, signal);
  }
  return support;
}

function pinnedHandshake(
  socket: Socket, version: TlsProtocolVersion, sni: string | null, timeoutMs: number, signal: AbortSignal,
): Promise<ProtocolProbeResult> {
  return new Promise((resolve) => {
    const tlsSocket = tlsConnect({
      socket, secureContext: PINNED[version], rejectUnauthorized: false, checkServerIdentity: () => undefined,
      ...(sni ? { servername: sni } : {}),
    });
    const done = settleOnce<ProtocolProbeResult>(resolve, {
      tlsSocket, socket, timeoutMs, timedOut: { outcome: "error", error: `no ${version} handshake within ${timeoutMs} ms` },
      signal, interrupted: { outcome: "error", error: "scan interrupted during the handshake" },
    });
    tlsSocket.once("secureConnect", () => {
      const negotiated = tlsSocket.getProtocol();
      done(negotiated === version ? { outcome: "accepted" } : { outcome: "error", error: `pinned to ${version}, negotiated ${negotiated}` });
    });
    // A server closing or resetting the connection in answer to a ClientHello it will not serve
    // is a refusal too (some stacks send no alert); sslyze reads it the same way.
    tlsSocket.once("close", () => done({ outcome: "refused" }));
    tlsSocket.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || (err.code !== undefined && REFUSAL_CODES.test(err.code))) done({ outcome: "refused" });
      else done({ outcome: "error", error: `${version} handshake failed: ${openSslReason(err)}` });
    });
  });
}

/** The reason part of an OpenSSL error ("...:SSL routines:func:no protocols available:file:line:"), else the message. */
function openSslReason(err: NodeJS.ErrnoException): string {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(err.message)?.[1];
  return reason ?? err.code ?? err.message;
}
