// The PostgreSQL, MySQL, RDP and XMPP modules, and the FTP, POP3 and LDAP ones where
// starttls-mail.test.ts's hostile peers do not reach, against servers that lie, flood or stall.
// These peers are hand-written: no real server sends a malformed answer on demand. Each case must end
// in the error class the probe turns into a status (StartTlsRefused → no-starttls,
// StartTlsProtocolError → error, StartTlsTimeout → timeout), never a hang or a crash.
import { once } from "node:events";
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { ftp } from "../../collectors/tls/starttls/ftp.js";
import { imap } from "../../collectors/tls/starttls/imap.js";
import { ldap } from "../../collectors/tls/starttls/ldap.js";
import { mysql } from "../../collectors/tls/starttls/mysql.js";
import { pop3 } from "../../collectors/tls/starttls/pop3.js";
import { postgres } from "../../collectors/tls/starttls/postgres.js";
import { type StartTlsProtocol, StartTlsProtocolError, StartTlsRefused, StartTlsTimeout } from "../../collectors/tls/starttls/protocol.js";
import { rdp } from "../../collectors/tls/starttls/rdp.js";
import { xmpp } from "../../collectors/tls/starttls/xmpp.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

const ADDRESS = "127.164.0.1";
/** Short, so the stalling peers end quickly; the real-server tests use generous steps. */
const STEP_MS = 500;
const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A peer that runs `script` on each connection; `afterClientSpeaks` waits for the client's first bytes. */
async function peer(script: (socket: Socket) => void, afterClientSpeaks: boolean): Promise<number> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    if (afterClientSpeaks) socket.once("data", () => script(socket));
    // Reads and drops what the client says, or a hang-up behind unread bytes never ends the socket.
    else script(socket.resume());
  });
  server.listen(0, ADDRESS);
  await once(server, "listening");
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A MySQL packet: 3-byte little-endian length, sequence id, payload. */
function mysqlPacket(payload: Buffer, sequence = 0): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

/** A MariaDB-like protocol 10 handshake with the given lower capability bits. */
function mysqlHandshake(lowCapabilities: number): Buffer {
  const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
  fixed.writeUInt16LE(lowCapabilities, 13);
  return mysqlPacket(Buffer.concat([Buffer.from([10]), Buffer.from("5.5.5-fake\0", "latin1"), fixed]));
}

/** A TPKT carrying an X.224 Connection Confirm with `negotiation` after its fixed part. */
function connectionConfirm(negotiation: Buffer): Buffer {
  const x224 = Buffer.concat([Buffer.from([6 + negotiation.length, 0xd0, 0, 0, 0x12, 0x34, 0]), negotiation]);
  return Buffer.concat([Buffer.from([3, 0, 0, 4 + x224.length]), x224]);
}

const XMPP_HEADER = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xmlns='jabber:client' id='x'>";
const XMPP_STARTTLS_FEATURES = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";

interface HostileCase {
  name: string;
  protocol: StartTlsProtocol;
  /** Server-first protocols (MySQL) speak before the client; the others answer its first bytes. */
  serverFirst?: boolean;
  script: (socket: Socket) => void;
  error: typeof StartTlsRefused | typeof StartTlsProtocolError | typeof StartTlsTimeout;
  message: RegExp;
}

const CASES: HostileCase[] = [
  {
    name: "PostgreSQL: an old server's ErrorResponse to the SSLRequest is a refusal, with its message",
    protocol: postgres,
    script: (s) => s.end(Buffer.concat([Buffer.from("E\0\0\0\x2e", "latin1"), Buffer.from("SFATAL\0C0A000\0Munsupported frontend protocol\0\0", "latin1")])),
    error: StartTlsRefused,
    message: /rejected the SSLRequest: unsupported frontend protocol/,
  },
  {
    name: "PostgreSQL: an HTTP answer is not PostgreSQL",
    protocol: postgres,
    script: (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"),
    error: StartTlsProtocolError,
    message: /first byte 0x48/,
  },
  {
    name: "PostgreSQL: bytes after 'S' and before the ClientHello are refused (CVE-2021-23222's injection)",
    protocol: postgres,
    script: (s) => s.write("SINJECTED"),
    error: StartTlsProtocolError,
    message: /sent data before the TLS handshake: INJECTED/,
  },
  {
    name: "PostgreSQL: a server that never answers the SSLRequest times out",
    protocol: postgres,
    script: () => {},
    error: StartTlsTimeout,
    message: /no progress waiting for 1 bytes/,
  },
  {
    name: "MySQL: a first packet claiming 16 MiB is rejected from its header",
    protocol: mysql,
    serverFirst: true,
    script: (s) => s.write(Buffer.from([0xff, 0xff, 0xff, 0x00, 10])),
    error: StartTlsProtocolError,
    message: /a first packet of 16777215 bytes/,
  },
  {
    name: "MySQL: an ERR packet instead of the handshake keeps the server's error",
    protocol: mysql,
    serverFirst: true,
    script: (s) => s.end(mysqlPacket(Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), Buffer.from("Host '127.164.0.1' is not allowed to connect", "latin1")]))),
    error: StartTlsProtocolError,
    message: /refused the connection: error 1130 Host '127\.164\.0\.1' is not allowed/,
  },
  {
    name: "MySQL: a handshake cut short before its capability flags",
    protocol: mysql,
    serverFirst: true,
    script: (s) => s.write(mysqlPacket(Buffer.from("\x0a5.5\0\x01\x02", "latin1"))),
    error: StartTlsProtocolError,
    message: /truncated MySQL handshake/,
  },
  {
    name: "MySQL: a server that sends half a packet header and stalls times out",
    protocol: mysql,
    serverFirst: true,
    script: (s) => s.write(Buffer.from([0x4a, 0x00])),
    error: StartTlsTimeout,
    message: /no progress waiting for 4 bytes/,
  },
  {
    name: "MySQL: SSL offered only by a pre-4.1 server is not attempted",
    protocol: mysql,
    serverFirst: true,
    script: (s) => s.write(mysqlHandshake(0x0800)),
    error: StartTlsProtocolError,
    message: /pre-4\.1 protocol/,
  },
  {
    name: "RDP: a Negotiation Failure names its code",
    protocol: rdp,
    script: (s) => s.end(connectionConfirm(Buffer.from([0x03, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00]))),
    error: StartTlsRefused,
    message: /refused TLS: SSL_NOT_ALLOWED_BY_SERVER/,
  },
  {
    name: "RDP: a Connection Confirm without negotiation data is standard RDP security",
    protocol: rdp,
    script: (s) => s.end(connectionConfirm(Buffer.alloc(0))),
    error: StartTlsRefused,
    message: /standard RDP security \(no negotiation response\)/,
  },
  {
    name: "RDP: a TPKT claiming 65535 bytes is rejected from its header",
    protocol: rdp,
    script: (s) => s.write(Buffer.from([3, 0, 0xff, 0xff, 0x0e, 0xd0])),
    error: StartTlsProtocolError,
    message: /a TPKT of 65535 bytes/,
  },
  {
    name: "RDP: an X.224 length indicator beyond the TPKT is malformed",
    protocol: rdp,
    script: (s) => s.write(Buffer.from([3, 0, 0, 11, 0x40, 0xd0, 0, 0, 0, 0, 0])),
    error: StartTlsProtocolError,
    message: /malformed X\.224 header \(length indicator 64 in 7 bytes\)/,
  },
  {
    name: "RDP: a selected protocol that was never offered",
    protocol: rdp,
    script: (s) => s.write(connectionConfirm(Buffer.from([0x02, 0x00, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00]))),
    error: StartTlsProtocolError,
    message: /selected protocol 0x4, which was not offered/,
  },
  {
    name: "RDP: an HTTP answer has no TPKT header",
    protocol: rdp,
    script: (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"),
    error: StartTlsProtocolError,
    message: /no TPKT header/,
  },
  {
    name: "XMPP: <failure/> after <starttls/> is a refusal",
    protocol: xmpp,
    script: (s) => {
      s.write(XMPP_HEADER + XMPP_STARTTLS_FEATURES);
      s.once("data", () => s.end("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"));
    },
    error: StartTlsRefused,
    message: /answered <starttls\/> with <failure\/>/,
  },
  {
    name: "XMPP: data after <proceed/> would be read as TLS",
    protocol: xmpp,
    script: (s) => {
      s.write(XMPP_HEADER + XMPP_STARTTLS_FEATURES);
      s.once("data", () => s.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message>injected</message>"));
    },
    error: StartTlsProtocolError,
    message: /sent data after <proceed\/>: <message>injected/,
  },
  {
    name: "XMPP: features that never end are cut off at the bound",
    protocol: xmpp,
    script: (s) => {
      s.write(XMPP_HEADER + "<stream:features>");
      const flood = setInterval(() => (s.destroyed ? clearInterval(flood) : s.write("<x xmlns='urn:example'/>".repeat(200))), 5);
    },
    error: StartTlsProtocolError,
    message: /over 32768 bytes without finishing its features/,
  },
  {
    name: "XMPP: an HTTP answer is not a stream header",
    protocol: xmpp,
    script: (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n<html>no</html>"),
    error: StartTlsProtocolError,
    message: /not an XMPP stream header: <html>/,
  },
  {
    name: "XMPP: a stream header in another namespace",
    protocol: xmpp,
    script: (s) => s.write("<stream:stream xmlns:stream='urn:example'>"),
    error: StartTlsProtocolError,
    message: /not in the streams namespace/,
  },
  {
    name: "XMPP: a server that stops inside its features times out",
    protocol: xmpp,
    script: (s) => s.write(XMPP_HEADER + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'"),
    error: StartTlsTimeout,
    message: /no progress waiting for the server/,
  },
  {
    name: "FTP: an HTTP answer is not an FTP reply",
    protocol: ftp,
    serverFirst: true,
    script: (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"),
    error: StartTlsProtocolError,
    message: /not an FTP reply: HTTP\/1\.1 400 Bad Request/,
  },
  {
    name: "FTP: a banner that never ends is cut off at the line bound",
    protocol: ftp,
    serverFirst: true,
    script: (s) => s.write("220-welcome\r\n" + "220-and more\r\n".repeat(150)),
    error: StartTlsProtocolError,
    message: /an FTP reply of over 100 lines/,
  },
  {
    name: "FTP: a server that never answers AUTH TLS times out",
    protocol: ftp,
    serverFirst: true,
    script: (s) => s.write("220 ready\r\n"),
    error: StartTlsTimeout,
    message: /no progress waiting for a line/,
  },
  {
    name: "FTP: bytes after 234 and before the ClientHello are refused",
    protocol: ftp,
    serverFirst: true,
    script: (s) => {
      s.write("220 ready\r\n");
      s.once("data", () => s.write("234 go ahead\r\n220 injected\r\n"));
    },
    error: StartTlsProtocolError,
    message: /sent data before the TLS handshake: 220 injected/,
  },
  {
    name: "POP3: an SMTP banner is not a POP3 reply",
    protocol: pop3,
    serverFirst: true,
    script: (s) => s.end("220 mail.example ESMTP\r\n"),
    error: StartTlsProtocolError,
    message: /not a POP3 reply: 220 mail\.example ESMTP/,
  },
  {
    name: "POP3: a server that never answers STLS times out",
    protocol: pop3,
    serverFirst: true,
    script: (s) => s.write("+OK ready\r\n"),
    error: StartTlsTimeout,
    message: /no progress waiting for a line/,
  },
  {
    name: "POP3: a greeting line over 8 KiB is cut off at the line bound",
    protocol: pop3,
    serverFirst: true,
    script: (s) => s.write(`+OK ${"y".repeat(9000)}`),
    error: StartTlsProtocolError,
    message: /a line over 8192 bytes: \+OK y/,
  },
  {
    name: "IMAP: over 64 KiB before TLS is cut off at the preamble bound",
    protocol: imap,
    serverFirst: true,
    script: (s) => {
      s.write("* OK ready\r\n");
      // Ten long untagged lines: the byte bound ends it before the untagged-line bound could.
      s.once("data", () => s.write(`* OK ${"z".repeat(7000)}\r\n`.repeat(10)));
    },
    error: StartTlsProtocolError,
    message: /the server sent over 65536 bytes before TLS/,
  },
  {
    name: "LDAP: a server that never answers the StartTLS request times out",
    protocol: ldap,
    script: () => {},
    error: StartTlsTimeout,
    message: /no progress waiting for the server/,
  },
  {
    name: "LDAP: a response cut short inside its BER length times out",
    protocol: ldap,
    // A SEQUENCE announcing 64 bytes, then 2 of them.
    script: (s) => s.write(Buffer.from([0x30, 0x40, 0x02, 0x01])),
    error: StartTlsTimeout,
    message: /no progress waiting for the server/,
  },
];

describe("STARTTLS modules against hostile peers", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const port = await peer(c.script, !c.serverFirst);
    const outcome = await upgradeAndCaptureChain(c.protocol, { hostname: "peer.pkiscope.test", address: ADDRESS, port }, STEP_MS).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(c.error);
    expect((outcome as Error).message).toMatch(c.message);
  });

  it("XMPP: finds <starttls/> declared with its own prefix and through attribute values holding '>'", async () => {
    let asked = "";
    const port = await peer((s) => {
      s.write(XMPP_HEADER.replace("id='x'", "id='a>b'") + "<stream:features><tls:starttls xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>");
      s.once("data", (d: Buffer) => {
        asked = d.toString();
        s.end("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      });
    }, true);
    // After <proceed/> the peer closes instead of speaking TLS: the negotiation itself succeeded,
    // and the failure is the TLS client's.
    const outcome = await upgradeAndCaptureChain(xmpp, { hostname: "peer.pkiscope.test", address: ADDRESS, port }, STEP_MS).catch((err: unknown) => err);
    expect(asked).toBe("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    expect((outcome as Error).message).toMatch(/disconnected before secure TLS connection/);
  });
});
