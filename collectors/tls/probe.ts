// One TLS probe: TCP connect first (cheap, and most probes of a sweep end here), then a TLS
// handshake over the open socket that accepts any certificate, including ones OpenSSL's
// default security level would refuse (RSA-1024, SHA-1, MD5): the point is to see them.
import { lookup } from "node:dns/promises";
import { type Socket, connect } from "node:net";
import { type DetailedPeerCertificate, type TLSSocket, createSecureContext } from "node:tls";
import type { EndpointObservation, EndpointStatus, Probe } from "../../src/model/types.js";
import type { ProbeTimeouts } from "../collector.js";
import { connectWithCapture, HandshakeCaptureError } from "./handshake-capture.js";
import { whenInterrupted } from "./interrupt.js";
import { settleOnce } from "./settle-once.js";
import { startTlsProtocol } from "./starttls/index.js";
import { PlaintextConversation, StartTlsProtocolError, StartTlsRefused, StartTlsTimeout } from "./starttls/protocol.js";

/** Record types that open a TLS conversation: handshake (22) or alert (21). */
const TLS_RECORD_TYPES = new Set([0x15, 0x16]);

const PERMISSIVE_TLS = {
  // One context for every probe: building it costs about half a millisecond, per connection
  // otherwise. SECLEVEL=0 lets OpenSSL complete handshakes with weak keys and digests, and
  // TLS 1.0/1.1.
  secureContext: createSecureContext({ ciphers: "ALL:@SECLEVEL=0", minVersion: "TLSv1" }),
  rejectUnauthorized: false,
  checkServerIdentity: () => undefined,
  requestOCSP: true,
} as const;

/** Every address of a hostname target: load-balanced names may serve different certificates. */
export async function resolveHostname(hostname: string): Promise<{ addresses: string[] } | { error: string }> {
  try {
    const results = await lookup(hostname, { all: true });
    return { addresses: [...new Set(results.map((r) => r.address))] };
  } catch (err) {
    return { error: `DNS lookup of ${hostname} failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}

const INTERRUPTED: Outcome = { status: "error", error: "scan interrupted before this probe finished" };

export async function probeTls(
  probe: Probe & { address: string },
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
): Promise<EndpointObservation> {
  const start = probeStart();
  return observeTls(probe, start, await openForTls(probe, timeouts, signal), timeouts, signal);
}

/** When a probe began: its observation's observedAt and durationMs count from here. */
export interface ProbeStart {
  clockMs: number;
  epochMs: number;
}

export function probeStart(): ProbeStart {
  return { clockMs: performance.now(), epochMs: Date.now() };
}

/** The observation of a probe whose connect (and STARTTLS preamble) ended in `ready`: that step's outcome, or the handshake over its socket. */
export async function observeTls(
  probe: Probe & { address: string },
  start: ProbeStart,
  ready: { socket: Socket } | Outcome,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
): Promise<EndpointObservation> {
  const fields = "status" in ready ? ready : await handshake(ready.socket, probe.sni, timeouts.handshakeMs, signal);
  return {
    address: probe.address,
    port: probe.port,
    sni: probe.sni,
    error: null,
    tlsVersion: null,
    cipher: null,
    chainDer: [],
    stapledOcsp: null,
    observedAt: new Date(start.epochMs).toISOString(),
    durationMs: Math.round((performance.now() - start.clockMs) * 10) / 10,
    ...fields,
    starttls: probe.starttls ?? null,
  };
}

/**
 * A socket whose next byte is our ClientHello: TCP connect, then the probe's STARTTLS preamble
 * when it has one (`probe.starttls`, a registry name). After a preamble the conversation has let
 * go of the socket with nothing of it buffered, so the handshake's byte tap sees only TLS.
 */
export async function openForTls(
  probe: Probe & { address: string }, timeouts: ProbeTimeouts, signal: AbortSignal,
): Promise<{ socket: Socket } | Outcome> {
  const connected = await connectTcp(probe.address, probe.port, timeouts.connectMs, signal);
  if ("status" in connected || !probe.starttls) return connected;
  const protocol = startTlsProtocol(probe.starttls);
  // Names are checked when the plan is built; an unknown one here is a programming error.
  if (!protocol) throw new Error(`unknown STARTTLS protocol "${probe.starttls}"`);
  const { socket } = connected;
  const talk = new PlaintextConversation(socket, timeouts.starttlsStepMs ?? timeouts.handshakeMs, signal);
  try {
    await protocol.negotiate(talk, { hostname: probe.sni, address: probe.address, port: probe.port });
    talk.release();
    return connected;
  } catch (err) {
    // No release: the socket goes, and our listeners with it.
    socket.destroy();
    return signal.aborted ? INTERRUPTED : classifyStartTlsError(protocol.name, err);
  }
}

function classifyStartTlsError(protocol: string, err: unknown): Outcome {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof StartTlsRefused) return { status: "no-starttls", error: `${protocol}: ${message}` };
  if (err instanceof StartTlsTimeout) return { status: "timeout", error: `${protocol}: ${message}` };
  if (err instanceof StartTlsProtocolError) return { status: "error", error: `${protocol}: ${message}` };
  return { status: "error", error: `${protocol}: STARTTLS failed: ${message}` };
}

export type Outcome = { status: EndpointStatus; error: string };

/**
 * Sockets whose connect was refused, kept for this thread's next connects. Constructing a
 * net.Socket and its stream state was most of a refused connect's JavaScript, and refused
 * connects are the bulk of a sweep: reconnecting a closed socket, which Node documents
 * socket.connect() for, took a bare refused connect from about 35 to 14 µs of user CPU
 * (20,000 in one thread). Only refused sockets are kept: they carried no byte, and none of our
 * listeners stays on them.
 */
const refusedSockets: Socket[] = [];
const KEPT_SOCKETS = 1024;

export function connectTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<{ socket: Socket } | Outcome> {
  return new Promise((resolve) => {
    // A new socket through net.connect, which announces it on the "net.client.socket" channel
    // as every Node client socket is (what a test or an operator's tracing counts).
    const socket = refusedSockets.pop()?.connect({ host, port }) ?? connect({ host, port });
    const fail = (outcome: Outcome, refused = false): void => {
      clearTimeout(timer);
      stopWaiting();
      socket.removeAllListeners("connect");
      socket.destroy();
      if (refused) socket.once("close", () => refusedSockets.length < KEPT_SOCKETS && refusedSockets.push(socket));
      resolve(outcome);
    };
    const timer = setTimeout(
      () => fail({ status: "closed", error: `no TCP answer within ${timeoutMs} ms (host down or port filtered)` }),
      timeoutMs,
    );
    const stopWaiting = whenInterrupted(signal, () => fail(INTERRUPTED));
    socket.once("connect", () => {
      clearTimeout(timer);
      stopWaiting();
      socket.removeAllListeners("error");
      resolve({ socket });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => fail(classifyConnectError(err), err.code === "ECONNREFUSED"));
  });
}

function classifyConnectError(err: NodeJS.ErrnoException): Outcome {
  switch (err.code) {
    case "ECONNREFUSED":
      return { status: "closed", error: "connection refused" };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { status: "closed", error: `unreachable (${err.code})` };
    default:
      return { status: "error", error: `TCP connect failed: ${err.code ?? err.message}` };
  }
}

function handshake(
  socket: Socket,
  sni: string | null,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Partial<EndpointObservation> & { status: EndpointStatus }> {
  return new Promise((resolve) => {
    // Node reports a reset and a plain close mid-handshake alike ("socket disconnected"); the raw
    // socket's own error says which it was. Listening before the tap does, as the TLS socket's
    // error follows from the tap's listener.
    let transportError: string | undefined;
    socket.once("error", (err: NodeJS.ErrnoException) => (transportError = err.code));
    const capture = connectWithCapture(socket, { ...PERMISSIVE_TLS, ...(sni ? { servername: sni } : {}) });
    const tlsSocket = capture.tlsSocket;
    let stapled: Buffer | null = null;
    // A sweep must not leak a descriptor per probe: settleOnce closes the raw socket under the tap too.
    const done = settleOnce<Partial<EndpointObservation> & { status: EndpointStatus }>(resolve, {
      tlsSocket, socket, timeoutMs, timedOut: { status: "timeout", error: `TLS handshake did not complete within ${timeoutMs} ms` },
      signal, interrupted: INTERRUPTED,
    });
    tlsSocket.on("OCSPResponse", (response: Buffer) => (stapled = response));
    tlsSocket.once("secureConnect", () => {
      const tlsVersion = tlsSocket.getProtocol();
      const cipher = tlsSocket.getCipher().standardName ?? tlsSocket.getCipher().name;
      const { chainDer, error } = capturedChain(capture.serverCertificates, tlsSocket);
      done({ status: "tls", tlsVersion, cipher, chainDer, error, stapledOcsp: stapled });
    });
    tlsSocket.once("close", () => done({ status: "error", error: "connection closed during the TLS handshake" }));
    tlsSocket.once("error", (err: NodeJS.ErrnoException) => {
      const firstByte = capture.tap.recorded()[0];
      if (firstByte !== undefined && !TLS_RECORD_TYPES.has(firstByte)) {
        done({ status: "not-tls", error: `answered, but not with TLS (first byte 0x${firstByte.toString(16).padStart(2, "0")})` });
      } else if (firstByte === undefined) {
        done({ status: "error", error: `connection closed before the server said anything (${err.code ?? err.message})` });
      } else if (transportError === "ECONNRESET") {
        done({ status: "error", error: "TLS handshake failed: the server reset the connection (ECONNRESET)" });
      } else {
        done({ status: "error", error: `TLS handshake failed: ${err.message}` });
      }
    });
  });
}

/**
 * The chain as sent. If the raw capture fails (a server doing something the parser does not
 * understand), fall back to what OpenSSL kept, and say so: that chain may be reordered.
 */
function capturedChain(extract: () => Buffer[], tlsSocket: TLSSocket): { chainDer: Buffer[]; error: string | null } {
  try {
    return { chainDer: extract(), error: null };
  } catch (err) {
    if (!(err instanceof HandshakeCaptureError)) throw err;
    const chainDer: Buffer[] = [];
    let cert: DetailedPeerCertificate | undefined = tlsSocket.getPeerCertificate(true);
    while (cert?.raw && !chainDer.some((d) => d.equals(cert!.raw))) {
      chainDer.push(cert.raw);
      cert = cert.issuerCertificate;
    }
    return {
      chainDer,
      error: `raw chain capture failed (${err.code}: ${err.message}); chain as rebuilt by OpenSSL, order may differ`,
    };
  }
}
