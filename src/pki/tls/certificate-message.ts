/**
 * The server's certificate chain exactly as it was sent on the wire, read from
 * the TLS Certificate handshake message in the bytes the server sent.
 *
 * Why this exists: Node's `tlsSocket.getPeerCertificate(true)` does not show
 * what the server sent. It rebuilds the chain from OpenSSL's verified chain
 * plus the trust store, reorders it, drops certificates that do not chain
 * (extra or unrelated ones) and can add roots the server never sent. A PKI
 * scanner needs the raw evidence (order, extras, misordering included), and no
 * npm library exposes the raw TLS Certificate handshake message. So the
 * recorded records are parsed here (`extractServerCertificates`): in TLS
 * 1.0-1.2 the Certificate message is plaintext; in TLS 1.3 it is encrypted
 * with the server handshake traffic key, which `./key-schedule.ts` derives from
 * the keylog secret (RFC 8446 section 7) to open the records. Recording the
 * bytes and the keylog is the TLS collector's part (`collectors/tls/`).
 *
 * Like the record layer (`./records.ts`), this treats its input as hostile and
 * reports every problem as a `HandshakeCaptureError` with a stable `code`.
 */
import {
  alertError,
  ContentType,
  HandshakeCaptureError,
  HandshakeReassembler,
  HandshakeType,
  MessageReader,
  readRecords,
} from "./records.js";
import { serverHandshakeSecret, TLS13_SUITES, Tls13RecordDecrypter } from "./key-schedule.js";

export interface ExtractionInput {
  /** Bytes received from the server, starting at the first record (the TLS collector's inbound tap records them). */
  readonly inbound: Buffer;
  /** Keylog lines of this connection; only needed for TLS 1.3. */
  readonly keylog: readonly Buffer[];
  /** `tlsSocket.getProtocol()`, e.g. "TLSv1.3". */
  readonly protocol: string;
  /** `tlsSocket.getCipher().standardName`, e.g. "TLS_AES_128_GCM_SHA256". */
  readonly cipherStandardName: string;
}

/** Return the server's certificates (DER) exactly as sent, in the order sent. */
export function extractServerCertificates(input: ExtractionInput): Buffer[] {
  switch (input.protocol) {
    case "TLSv1.3":
      return extractTls13(input);
    case "SSLv3":
    case "TLSv1":
    case "TLSv1.1":
    case "TLSv1.2":
      return extractPlaintext(input.inbound);
    default:
      throw new HandshakeCaptureError("unsupported-protocol", `unsupported protocol "${input.protocol}"`);
  }
}

/** TLS 1.0-1.2: the handshake is plaintext up to ChangeCipherSpec. */
function extractPlaintext(inbound: Buffer): Buffer[] {
  const handshake = new HandshakeReassembler();
  for (const record of readRecords(inbound)) {
    if (record.type === ContentType.alert) throw alertError(record.body);
    // Everything after ChangeCipherSpec is encrypted; an abbreviated (resumed) handshake reaches it without a Certificate.
    if (record.type === ContentType.changeCipherSpec) break;
    if (record.type !== ContentType.handshake) {
      throw new HandshakeCaptureError("unexpected-record", `unexpected record type ${record.type} before ChangeCipherSpec`);
    }
    for (const message of handshake.push(record.body)) {
      if (message.type === HandshakeType.certificate) return parseTls12Certificate(message.body);
      if (message.type === HandshakeType.serverHelloDone) throw noCertificate();
    }
  }
  throw endOfInput(handshake);
}

/**
 * TLS 1.3: plaintext ServerHello (possibly after a HelloRetryRequest), then
 * records protected with the server handshake traffic key.
 */
function extractTls13(input: ExtractionInput): Buffer[] {
  const suite = TLS13_SUITES.get(input.cipherStandardName);
  if (suite === undefined) {
    throw new HandshakeCaptureError("unsupported-suite", `unsupported TLS 1.3 cipher suite "${input.cipherStandardName}"`);
  }
  const decrypter = new Tls13RecordDecrypter(suite, serverHandshakeSecret(input.keylog, suite));
  const plaintext = new HandshakeReassembler();
  const protectedHandshake = new HandshakeReassembler();
  let encrypted = false;

  for (const record of readRecords(input.inbound)) {
    if (record.type === ContentType.alert) throw alertError(record.body);
    // Middlebox-compatibility ChangeCipherSpec (RFC 8446 appendix D.4) carries nothing.
    if (record.type === ContentType.changeCipherSpec) continue;

    if (!encrypted) {
      if (record.type !== ContentType.handshake) {
        throw new HandshakeCaptureError("unexpected-record", `unexpected record type ${record.type} before ServerHello`);
      }
      for (const message of plaintext.push(record.body)) {
        // Keys change right after ServerHello, so nothing may follow it in plaintext.
        if (encrypted || message.type !== HandshakeType.serverHello) {
          throw new HandshakeCaptureError("unexpected-message", `unexpected plaintext handshake message type ${message.type}`);
        }
        encrypted = !isHelloRetryRequest(message.body);
      }
      if (encrypted && plaintext.hasPartialMessage) {
        throw new HandshakeCaptureError("unexpected-message", "handshake data follows ServerHello in plaintext");
      }
      continue;
    }

    if (record.type !== ContentType.applicationData) {
      throw new HandshakeCaptureError("unexpected-record", `unexpected record type ${record.type} after ServerHello`);
    }
    const inner = decrypter.open(record);
    if (inner.type === ContentType.alert) throw alertError(inner.body);
    if (inner.type !== ContentType.handshake) {
      throw new HandshakeCaptureError("unexpected-record", `unexpected protected content type ${inner.type}`);
    }
    for (const message of protectedHandshake.push(inner.body)) {
      if (message.type === HandshakeType.certificate) return parseTls13Certificate(message.body);
      // Finished ends the server's flight; a PSK handshake has no Certificate.
      if (message.type === HandshakeType.finished) throw noCertificate();
    }
  }
  throw endOfInput(encrypted ? protectedHandshake : plaintext);
}

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 section 4.1.3). */
const HELLO_RETRY_REQUEST_RANDOM = Buffer.from(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c",
  "hex",
);

function isHelloRetryRequest(serverHello: Buffer): boolean {
  // legacy_version (2 bytes), then the 32-byte random.
  const random = new MessageReader(serverHello, "ServerHello");
  random.uint(2);
  return random.bytes(HELLO_RETRY_REQUEST_RANDOM.length).equals(HELLO_RETRY_REQUEST_RANDOM);
}

function noCertificate(): HandshakeCaptureError {
  return new HandshakeCaptureError("no-certificate-message", "the server's handshake flight has no Certificate message");
}

function endOfInput(handshake: HandshakeReassembler): HandshakeCaptureError {
  return handshake.hasPartialMessage
    ? new HandshakeCaptureError("truncated-message", "input ends inside a handshake message")
    : new HandshakeCaptureError("no-certificate-message", "input ends before a Certificate message");
}

/** TLS 1.0-1.2 Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
function parseTls12Certificate(body: Buffer): Buffer[] {
  const message = new MessageReader(body, "Certificate message");
  const list = message.vector(3, "certificate list");
  message.expectEnd();
  const certificates: Buffer[] = [];
  while (list.remaining > 0) certificates.push(copy(list.bytes(list.uint(3))));
  return certificates;
}

/** TLS 1.3 Certificate: request context, then entries of cert_data plus per-entry extensions. */
function parseTls13Certificate(body: Buffer): Buffer[] {
  const message = new MessageReader(body, "Certificate message");
  message.vector(1, "certificate request context");
  const list = message.vector(3, "certificate list");
  message.expectEnd();
  const certificates: Buffer[] = [];
  while (list.remaining > 0) {
    certificates.push(copy(list.bytes(list.uint(3))));
    list.vector(2, "certificate entry extensions");
  }
  return certificates;
}

/** Detach results from the (large) recorded buffer. */
function copy(der: Buffer): Buffer {
  return Buffer.from(der);
}
