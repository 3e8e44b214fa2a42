// RDP ([MS-RDPBCGR] 1.3.1.1): an X.224 Connection Request inside a TPKT carrying an RDP
// Negotiation Request for TLS or CredSSP (which runs inside TLS); the server's Connection
// Confirm says which security it chose, and TLS starts right after it when that is TLS-based.
import { type PlaintextConversation, StartTlsProtocolError, StartTlsRefused, type StartTlsProtocol } from "./protocol.js";

const PROTOCOL_RDP = 0x0;
const PROTOCOL_SSL = 0x1;
const PROTOCOL_HYBRID = 0x2;
/** CredSSP with the Early User Authorization Result PDU: TLS first as well. */
const PROTOCOL_HYBRID_EX = 0x8;
const TLS_BASED = new Set([PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX]);

const TYPE_RDP_NEG_RSP = 0x02;
const TYPE_RDP_NEG_FAILURE = 0x03;
const X224_CONNECTION_CONFIRM = 0xd0;

/** [MS-RDPBCGR] 2.2.1.2.2 failureCode names, kept in the recorded status. */
const NEGOTIATION_FAILURES: Readonly<Record<number, string>> = {
  1: "SSL_REQUIRED_BY_SERVER",
  2: "SSL_NOT_ALLOWED_BY_SERVER",
  3: "SSL_CERT_NOT_ON_SERVER",
  4: "INCONSISTENT_FLAGS",
  5: "HYBRID_REQUIRED_BY_SERVER",
  6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
};

/** TPKT (4) + X.224 CR (7) + RDP_NEG_REQ (8, requesting PROTOCOL_SSL | PROTOCOL_HYBRID). */
const CONNECTION_REQUEST = Buffer.from([
  0x03, 0x00, 0x00, 0x13,
  0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x08, 0x00, PROTOCOL_SSL | PROTOCOL_HYBRID, 0x00, 0x00, 0x00,
]);
/** A Connection Confirm is 19 bytes; allow room for a server that pads it. */
const MAX_CONFIRM_BYTES = 512;
const TPKT_HEADER_BYTES = 4;
const X224_FIXED_BYTES = 7;

export const rdp: StartTlsProtocol = {
  name: "rdp",
  defaultPorts: [3389],
  description: "RDP: X.224 Connection Request asking for TLS or CredSSP, then TLS if the server selects either",
  async negotiate(talk: PlaintextConversation): Promise<void> {
    await talk.write(CONNECTION_REQUEST);
    const header = await talk.readBytes(TPKT_HEADER_BYTES);
    const length = header.readUInt16BE(2);
    if (header[0] !== 0x03 || header[1] !== 0x00) {
      throw new StartTlsProtocolError(`not an RDP answer (no TPKT header: ${header.toString("hex")})`);
    }
    if (length < TPKT_HEADER_BYTES + X224_FIXED_BYTES || length > MAX_CONFIRM_BYTES) {
      throw new StartTlsProtocolError(`not an X.224 Connection Confirm (a TPKT of ${length} bytes)`);
    }
    const selected = selectedProtocol(await talk.readBytes(length - TPKT_HEADER_BYTES));
    if (!TLS_BASED.has(selected)) {
      throw new StartTlsProtocolError(`the RDP server selected protocol 0x${selected.toString(16)}, which was not offered`);
    }
  },
};

/** The security protocol the Connection Confirm selects; refusals and standard RDP security throw. */
function selectedProtocol(x224: Buffer): number {
  const indicator = x224[0]!;
  if (indicator + 1 > x224.length || indicator + 1 < X224_FIXED_BYTES) {
    throw new StartTlsProtocolError(`a malformed X.224 header (length indicator ${indicator} in ${x224.length} bytes)`);
  }
  if ((x224[1]! & 0xf0) !== X224_CONNECTION_CONFIRM) {
    throw new StartTlsProtocolError(`not an X.224 Connection Confirm (TPDU code 0x${x224[1]!.toString(16)})`);
  }
  const negotiation = x224.subarray(X224_FIXED_BYTES, indicator + 1);
  // Servers that predate negotiation (Windows 2000/2003, or configured so) send nothing here.
  if (negotiation.length === 0) throw new StartTlsRefused("the RDP server uses standard RDP security (no negotiation response)");
  if (negotiation.length < 8 || negotiation.readUInt16LE(2) !== 8) {
    throw new StartTlsProtocolError(`malformed RDP negotiation data (${negotiation.toString("hex")})`);
  }
  const value = negotiation.readUInt32LE(4);
  if (negotiation[0] === TYPE_RDP_NEG_FAILURE) {
    throw new StartTlsRefused(`the RDP server refused TLS: ${NEGOTIATION_FAILURES[value] ?? `failure code ${value}`}`);
  }
  if (negotiation[0] !== TYPE_RDP_NEG_RSP) {
    throw new StartTlsProtocolError(`unknown RDP negotiation type 0x${negotiation[0]!.toString(16)}`);
  }
  if (value === PROTOCOL_RDP) throw new StartTlsRefused("the RDP server selected standard RDP security, not TLS");
  return value;
}
