// One STARTTLS module's negotiation over a real socket, then a TLS handshake through the byte
// tap: the chain exactly as the server sent it. Rejects with what the module threw.
import { once } from "node:events";
import { connect } from "node:net";
import { connectWithCapture } from "../../collectors/tls/handshake-capture.js";
import { PlaintextConversation, type StartTlsProtocol, type StartTlsTarget } from "../../collectors/tls/starttls/protocol.js";

/** Generous: real servers on a loaded test machine; a module that hangs still fails the test. */
const STEP_MS = 10_000;

export async function upgradeAndCaptureChain(protocol: StartTlsProtocol, target: StartTlsTarget, stepMs = STEP_MS): Promise<Buffer[]> {
  const socket = connect({ host: target.address, port: target.port });
  try {
    await once(socket, "connect");
    const talk = new PlaintextConversation(socket, stepMs, new AbortController().signal);
    await protocol.negotiate(talk, target);
    talk.release();
    const capture = connectWithCapture(socket, {
      rejectUnauthorized: false, ...(target.hostname ? { servername: target.hostname } : {}),
    });
    await once(capture.tlsSocket, "secureConnect");
    const chain = capture.serverCertificates();
    capture.tlsSocket.destroy();
    return chain;
  } finally {
    socket.destroy();
  }
}
