// MySQL and MariaDB: the server speaks first with its handshake packet (protocol 10); a client
// that wants TLS answers with an SSL Request packet (the first 32 bytes of a HandshakeResponse41,
// sequence id 1) and starts TLS right after it.
import { type PlaintextConversation, StartTlsProtocolError, StartTlsRefused, type StartTlsProtocol, serverWords } from "./protocol.js";

const CLIENT_LONG_PASSWORD = 0x0000_0001;
const CLIENT_PROTOCOL_41 = 0x0000_0200;
const CLIENT_SSL = 0x0000_0800;
const CLIENT_SECURE_CONNECTION = 0x0000_8000;
const CLIENT_PLUGIN_AUTH = 0x0008_0000;
/** What we claim after the upgrade; we close before authenticating, so only the format matters. */
const CLIENT_CAPABILITIES = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
const MAX_PACKET_SIZE = 16 * 1024 * 1024;
/** utf8mb4_general_ci. */
const CHARSET = 45;
/** A handshake packet is about 100 bytes (version string, salt, plugin name). */
const MAX_HANDSHAKE_BYTES = 4096;

export const mysql: StartTlsProtocol = {
  name: "mysql",
  defaultPorts: [3306],
  description: "MySQL/MariaDB: read the server handshake, send an SSL Request if it offers CLIENT_SSL",
  async negotiate(talk: PlaintextConversation): Promise<void> {
    const header = await talk.readBytes(4);
    const length = header.readUIntLE(0, 3);
    if (header[3] !== 0) throw new StartTlsProtocolError(`not a MySQL handshake (sequence id ${header[3]}): ${serverWords(header)}`);
    if (length === 0 || length > MAX_HANDSHAKE_BYTES) throw new StartTlsProtocolError(`not a MySQL handshake (a first packet of ${length} bytes)`);
    const capabilities = serverCapabilities(await talk.readBytes(length));
    if ((capabilities & CLIENT_SSL) === 0) throw new StartTlsRefused("the MySQL server does not offer TLS (no CLIENT_SSL capability)");
    if ((capabilities & CLIENT_PROTOCOL_41) === 0) {
      throw new StartTlsProtocolError("the MySQL server speaks only the pre-4.1 protocol, whose SSL request is not supported");
    }
    await talk.write(sslRequest());
  },
};

/** The capability flags of a protocol 10 handshake payload, after checking its fixed fields fit. */
function serverCapabilities(payload: Buffer): number {
  const protocol = payload[0];
  // An ERR packet instead of a handshake: too many connections, host not allowed, ...
  if (protocol === 0xff) {
    const code = payload.length >= 3 ? payload.readUInt16LE(1) : 0;
    const message = payload.subarray(3).toString("latin1").replace(/^#[0-9A-Z]{5}/, "");
    throw new StartTlsProtocolError(`the MySQL server refused the connection: error ${code} ${serverWords(message)}`);
  }
  if (protocol !== 10) throw new StartTlsProtocolError(`not a MySQL protocol 10 handshake (protocol ${protocol}): ${serverWords(payload.subarray(0, 40))}`);
  const versionEnd = payload.indexOf(0, 1);
  // version NUL, connection id (4), auth data part 1 (8), filler (1), capabilities low (2)
  const lowAt = versionEnd + 1 + 4 + 8 + 1;
  if (versionEnd < 0 || payload.length < lowAt + 2) throw new StartTlsProtocolError("a truncated MySQL handshake packet");
  const low = payload.readUInt16LE(lowAt);
  // charset (1), status (2), then the upper capability bits, absent in short pre-4.1 packets
  const highAt = lowAt + 2 + 1 + 2;
  const high = payload.length >= highAt + 2 ? payload.readUInt16LE(highAt) : 0;
  return ((high << 16) | low) >>> 0;
}

function sslRequest(): Buffer {
  const packet = Buffer.alloc(4 + 32);
  packet.writeUIntLE(32, 0, 3);
  packet[3] = 1;
  packet.writeUInt32LE(CLIENT_CAPABILITIES, 4);
  packet.writeUInt32LE(MAX_PACKET_SIZE, 8);
  packet[12] = CHARSET;
  // 23 filler bytes, zero (MariaDB reads its extended capabilities from the last 4: none).
  return packet;
}
