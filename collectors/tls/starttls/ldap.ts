// LDAP StartTLS (RFC 4511 §4.14): the extended request 1.3.6.1.4.1.1466.20037, answered by an
// extended response whose result code is success (0). ldapts (already the AD CS collector's
// client) encodes the request and parses the response, so no BER is written here; its Client
// cannot be used because it owns the socket and verifies the certificate itself, where the probe
// needs the raw socket under its own byte tap.
import { type PlaintextConversation, type StartTlsProtocol, StartTlsProtocolError, StartTlsRefused, serverWords } from "./protocol.js";

const START_TLS_OID = "1.3.6.1.4.1.1466.20037";
/** The unsolicited Notice of Disconnection (RFC 4511 §4.4.1) a server sends before closing. */
const NOTICE_OF_DISCONNECTION_OID = "1.3.6.1.4.1.1466.20036";
/** Every LDAPMessage is a BER SEQUENCE. */
const BER_SEQUENCE = 0x30;

/** Reads one whole LDAP message: ldapts' parser waits until the BER length is satisfied. */
async function readResponse(talk: PlaintextConversation): Promise<object> {
  // Lazy: the registry is loaded for --help, ldapts only when a probe speaks LDAP.
  const { MessageParser } = await import("ldapts");
  const parser = new MessageParser();
  // Typed loosely: ldapts exports each response class but not their common base.
  const outcome: { message?: object; error?: Error } = {};
  parser.on("message", (message: object) => (outcome.message ??= message));
  parser.on("error", (err: Error) => (outcome.error ??= err));
  const seen: Buffer[] = [];
  while (!outcome.message && !outcome.error) {
    const chunk = await talk.readSome();
    seen.push(chunk);
    // ldapts' parser waits quietly for more on a first byte that is no SEQUENCE: say so at once.
    if (seen.length === 1 && chunk[0] !== BER_SEQUENCE) throw new StartTlsProtocolError(`not an LDAP response: ${serverWords(chunk)}`);
    parser.read(chunk, new Map());
  }
  if (outcome.error) throw new StartTlsProtocolError(`not an LDAP response (${outcome.error.message}): ${serverWords(Buffer.concat(seen))}`);
  return outcome.message!;
}

export const ldap: StartTlsProtocol = {
  name: "ldap",
  defaultPorts: [389],
  description: "LDAP: the StartTLS extended operation (RFC 4511)",
  async negotiate(talk) {
    const { ExtendedRequest, ExtendedResponse } = await import("ldapts");
    await talk.write(new ExtendedRequest({ messageId: 1, oid: START_TLS_OID }).write());
    const response = await readResponse(talk);
    if (!(response instanceof ExtendedResponse)) throw new StartTlsProtocolError(`the LDAP server answered StartTLS with a ${response.constructor.name}`);
    if (response.oid === NOTICE_OF_DISCONNECTION_OID) throw new StartTlsRefused(`the LDAP server is disconnecting: ${serverWords(response.errorMessage)}`);
    if (response.messageId !== 1) throw new StartTlsProtocolError(`the LDAP server answered message ${response.messageId}, not the StartTLS request`);
    if (response.status !== 0) {
      throw new StartTlsRefused(`StartTLS refused: result code ${response.status}${response.errorMessage ? ` (${serverWords(response.errorMessage)})` : ""}`);
    }
  },
};
