// PostgreSQL: the client's first message is an SSLRequest, and the server answers with one byte
// before any TLS (protocol 3.0, "SSL Session Encryption").
import { type PlaintextConversation, StartTlsProtocolError, StartTlsRefused, type StartTlsProtocol, serverWords } from "./protocol.js";

/** int32 length 8, int32 80877103 (1234 << 16 | 5679): the SSLRequest code. */
const SSL_REQUEST = Buffer.from([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]);
/** An ErrorResponse is a few hundred bytes; more than this is not one. */
const MAX_ERROR_BYTES = 2048;

export const postgres: StartTlsProtocol = {
  name: "postgres",
  defaultPorts: [5432],
  description: "PostgreSQL: SSLRequest, then TLS if the server answers 'S'",
  async negotiate(talk: PlaintextConversation): Promise<void> {
    await talk.write(SSL_REQUEST);
    const answer = (await talk.readBytes(1))[0];
    if (answer === 0x53 /* S */) return;
    if (answer === 0x4e /* N */) throw new StartTlsRefused("the PostgreSQL server does not accept SSL (answered 'N' to the SSLRequest)");
    // Servers older than 7.1 (and some proxies) do not know the SSLRequest code and answer it
    // with an ErrorResponse: a PostgreSQL that speaks no TLS.
    if (answer === 0x45 /* E */) throw new StartTlsRefused(`the PostgreSQL server rejected the SSLRequest: ${await errorText(talk)}`);
    throw new StartTlsProtocolError(`not a PostgreSQL answer to the SSLRequest (first byte 0x${answer!.toString(16).padStart(2, "0")})`);
  },
};

/**
 * The message of the ErrorResponse after its 'E': protocol 3 (int32 length, then fields of a
 * type byte and a NUL-terminated string, 'M' the message) or protocol 2 (one NUL-terminated
 * string). Whatever arrived is kept if it is neither; the server is closing anyway.
 */
async function errorText(talk: PlaintextConversation): Promise<string> {
  let body: Buffer;
  try {
    body = await talk.readSome();
  } catch {
    return "(no message)";
  }
  body = body.subarray(0, MAX_ERROR_BYTES);
  const declared = body.length >= 4 ? body.readUInt32BE(0) : 0;
  if (declared >= 4 && declared <= MAX_ERROR_BYTES) {
    for (const field of body.subarray(4).toString("latin1").split("\0")) {
      if (field.startsWith("M")) return serverWords(field.slice(1));
    }
  }
  return serverWords(body.toString("latin1").split("\0")[0] ?? "");
}
