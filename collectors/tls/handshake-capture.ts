/**
 * Capture a TLS server's certificate chain exactly as it was sent on the wire.
 *
 * Why this exists: Node's `tlsSocket.getPeerCertificate(true)` does not show
 * what the server sent. It rebuilds the chain from OpenSSL's verified chain
 * plus the trust store, reorders it, drops certificates that do not chain
 * (extra or unrelated ones) and can add roots the server never sent. A PKI
 * scanner needs the raw evidence (order, extras, misordering included), and no
 * npm library exposes the raw TLS Certificate handshake message. So we:
 *
 *   1. tap the inbound TCP bytes under the TLS socket (`tapInbound`),
 *   2. collect the handshake secrets through the TLSSocket 'keylog' event,
 *   3. parse the recorded records ourselves (`extractServerCertificates`):
 *      in TLS 1.0-1.2 the Certificate message is plaintext; in TLS 1.3 it is
 *      encrypted with the server handshake traffic key, which we derive from
 *      the keylog secret (RFC 8446 section 7) and use to open the records.
 *
 * The parser treats its input as hostile: every length is checked against the
 * bytes actually present, nothing is allocated from a declared length, and any
 * problem surfaces as a `HandshakeCaptureError` with a stable `code`.
 */
import {
  createDecipheriv,
  createHmac,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
} from "node:crypto";
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";

export type HandshakeCaptureErrorCode =
  /** `protocol` is not SSLv3 or TLS 1.0-1.3. */
  | "unsupported-protocol"
  /** A TLS 1.3 suite we cannot decrypt (only the three OpenSSL defaults are supported). */
  | "unsupported-suite"
  /** Bytes that are not a TLS record, or a record whose content is impossible. */
  | "malformed-record"
  /** A record declaring more bytes than any TLS version allows. */
  | "oversized-record"
  /** The input ends inside a record (e.g. the tap's cap was reached). */
  | "truncated-record"
  /** A record type that cannot occur at that point of the handshake. */
  | "unexpected-record"
  /** A handshake message whose inner lengths do not fit. */
  | "malformed-message"
  /** The input ends inside a handshake message. */
  | "truncated-message"
  /** A handshake message that cannot occur at that point of the handshake. */
  | "unexpected-message"
  /** A SERVER_HANDSHAKE_TRAFFIC_SECRET keylog line that cannot be parsed. */
  | "malformed-keylog"
  /** TLS 1.3 without a SERVER_HANDSHAKE_TRAFFIC_SECRET keylog line. */
  | "missing-secret"
  /** Keylog lines from several connections: which secret applies is unknown. */
  | "ambiguous-secret"
  /** A protected record failed AEAD authentication (wrong secret or corrupted bytes). */
  | "decrypt-failed"
  /** The server sent an alert instead of its certificates. */
  | "server-alert"
  /** The server's flight ended without a Certificate message (e.g. session resumption). */
  | "no-certificate-message";

/** Every extraction failure; `code` is stable for programmatic handling. */
export class HandshakeCaptureError extends Error {
  override readonly name = "HandshakeCaptureError";

  constructor(
    readonly code: HandshakeCaptureErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Inbound tap
// ---------------------------------------------------------------------------

/** Enough for any real handshake (chains are rarely above 20 KiB) while bounding memory per scan. */
export const DEFAULT_MAX_RECORDED_BYTES = 512 * 1024;

export interface InboundTap {
  /** Pass-through stream to hand to `tls.connect({ socket })`. */
  readonly stream: Duplex;
  /** The first bytes received from the server, up to the cap. */
  recorded(): Buffer;
  /** True when the server sent more than the cap, so `recorded()` is a prefix. */
  truncated(): boolean;
}

/**
 * Wrap a connected socket in a Duplex that forwards bytes unchanged in both
 * directions and remembers the first `maxRecordedBytes` bytes read.
 *
 * Lifecycle is tied both ways: a socket error, end or close reaches the tap
 * (and so the TLS socket above it), and destroying the tap (which Node does
 * when the TLS socket is destroyed) destroys the socket.
 */
export function tapInbound(
  socket: Socket,
  maxRecordedBytes: number = DEFAULT_MAX_RECORDED_BYTES,
): InboundTap {
  if (!Number.isSafeInteger(maxRecordedBytes) || maxRecordedBytes < 0) {
    throw new RangeError(`maxRecordedBytes must be a non-negative integer, got ${maxRecordedBytes}`);
  }
  const chunks: Buffer[] = [];
  let recordedLength = 0;
  let overflowed = false;

  const record = (chunk: Buffer): void => {
    const room = maxRecordedBytes - recordedLength;
    if (chunk.length > room) overflowed = true;
    if (room <= 0) return;
    // Copy so we never pin the socket's (possibly much larger) read buffer.
    const kept = Buffer.from(chunk.subarray(0, room));
    chunks.push(kept);
    recordedLength += kept.length;
  };

  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });

  socket.on("data", (chunk: Buffer) => {
    record(chunk);
    // Honour backpressure from the TLS layer instead of buffering without bound.
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (error) => stream.destroy(error));
  socket.on("close", () => {
    // Let the reader drain what was already pushed before tearing the tap down.
    if (stream.readableLength === 0) stream.destroy();
    else stream.once("end", () => stream.destroy());
  });

  return {
    stream,
    recorded: () => Buffer.concat(chunks, recordedLength),
    truncated: () => overflowed,
  };
}

// ---------------------------------------------------------------------------
// Convenience: connect through a tap and collect the keylog
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Certificate extraction
// ---------------------------------------------------------------------------

export interface ExtractionInput {
  /** Bytes received from the server, starting at the first record (see `tapInbound`). */
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

const ContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
const HandshakeType = { serverHello: 2, certificate: 11, serverHelloDone: 14, finished: 20 } as const;

const RECORD_HEADER_LENGTH = 5;
const HANDSHAKE_HEADER_LENGTH = 4;
/** Largest record any TLS version permits (TLS 1.2 TLSCiphertext: 2^14 + 2048). */
const MAX_RECORD_LENGTH = 2 ** 14 + 2048;

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

// --- Records ---------------------------------------------------------------

interface TlsRecord {
  readonly type: number;
  /** The 5-byte record header (TLS 1.3 uses it as AEAD additional data). */
  readonly header: Buffer;
  readonly body: Buffer;
}

/** Lazily split bytes into records, so a truncated tail only matters if we need it. */
function* readRecords(inbound: Buffer): Generator<TlsRecord> {
  let offset = 0;
  while (offset < inbound.length) {
    if (inbound.length - offset < RECORD_HEADER_LENGTH) {
      throw new HandshakeCaptureError("truncated-record", `input ends inside a record header at offset ${offset}`);
    }
    const header = inbound.subarray(offset, offset + RECORD_HEADER_LENGTH);
    const type = header.readUInt8(0);
    const length = header.readUInt16BE(3);
    if (type < ContentType.changeCipherSpec || type > ContentType.applicationData || header.readUInt8(1) !== 3) {
      throw new HandshakeCaptureError("malformed-record", `not a TLS record at offset ${offset} (header ${header.toString("hex")})`);
    }
    if (length > MAX_RECORD_LENGTH) {
      throw new HandshakeCaptureError("oversized-record", `record at offset ${offset} declares ${length} bytes (max ${MAX_RECORD_LENGTH})`);
    }
    const bodyStart = offset + RECORD_HEADER_LENGTH;
    if (inbound.length - bodyStart < length) {
      throw new HandshakeCaptureError(
        "truncated-record",
        `record at offset ${offset} declares ${length} bytes but only ${inbound.length - bodyStart} remain`,
      );
    }
    yield { type, header, body: inbound.subarray(bodyStart, bodyStart + length) };
    offset = bodyStart + length;
  }
}

function alertError(body: Buffer): HandshakeCaptureError {
  if (body.length !== 2) return new HandshakeCaptureError("malformed-record", `alert record of ${body.length} bytes`);
  return new HandshakeCaptureError("server-alert", `server sent alert level ${body.readUInt8(0)} description ${body.readUInt8(1)}`);
}

// --- Handshake messages ----------------------------------------------------

interface HandshakeMessage {
  readonly type: number;
  readonly body: Buffer;
}

/**
 * Reassembles handshake messages from record fragments: a message may span
 * records and a record may hold several messages. Fragments are only joined
 * when a header or a whole message is available, so each byte is copied a
 * bounded number of times even for a stream of 1-byte records.
 */
class HandshakeReassembler {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Total size (header + body) of the message being assembled, once its header is known. */
  #expected: number | undefined;

  get hasPartialMessage(): boolean {
    return this.#length > 0;
  }

  push(fragment: Buffer): HandshakeMessage[] {
    this.#chunks.push(fragment);
    this.#length += fragment.length;
    const messages: HandshakeMessage[] = [];
    for (;;) {
      if (this.#expected === undefined) {
        if (this.#length < HANDSHAKE_HEADER_LENGTH) break;
        this.#expected = HANDSHAKE_HEADER_LENGTH + this.#flatten().readUIntBE(1, 3);
      }
      if (this.#length < this.#expected) break;
      const buffer = this.#flatten();
      messages.push({
        type: buffer.readUInt8(0),
        body: buffer.subarray(HANDSHAKE_HEADER_LENGTH, this.#expected),
      });
      this.#chunks = [buffer.subarray(this.#expected)];
      this.#length -= this.#expected;
      this.#expected = undefined;
    }
    return messages;
  }

  #flatten(): Buffer {
    const [first, ...others] = this.#chunks;
    // A lone chunk is used as is: re-copying the unread tail after every message would be quadratic.
    const buffer = first !== undefined && others.length === 0 ? first : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [buffer];
    return buffer;
  }
}

function noCertificate(): HandshakeCaptureError {
  return new HandshakeCaptureError("no-certificate-message", "the server's handshake flight has no Certificate message");
}

function endOfInput(handshake: HandshakeReassembler): HandshakeCaptureError {
  return handshake.hasPartialMessage
    ? new HandshakeCaptureError("truncated-message", "input ends inside a handshake message")
    : new HandshakeCaptureError("no-certificate-message", "input ends before a Certificate message");
}

/** Bounds-checked big-endian reader; every overrun is a `malformed-message`. */
class MessageReader {
  #offset = 0;

  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.#offset;
  }

  uint(size: 1 | 2 | 3): number {
    this.#require(size);
    const value = this.buffer.readUIntBE(this.#offset, size);
    this.#offset += size;
    return value;
  }

  bytes(length: number): Buffer {
    this.#require(length);
    const slice = this.buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  /** A sub-reader over a length-prefixed vector that must fit the remaining bytes. */
  vector(lengthSize: 1 | 2 | 3, what: string): MessageReader {
    return new MessageReader(this.bytes(this.uint(lengthSize)), what);
  }

  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new HandshakeCaptureError("malformed-message", `${this.remaining} unexpected trailing bytes in ${this.what}`);
    }
  }

  #require(length: number): void {
    if (length > this.remaining) {
      throw new HandshakeCaptureError(
        "malformed-message",
        `${this.what} needs ${length} bytes at offset ${this.#offset} but only ${this.remaining} remain`,
      );
    }
  }
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

// --- TLS 1.3 record protection ----------------------------------------------

interface Tls13Suite {
  readonly hash: "sha256" | "sha384";
  readonly hashLength: number;
  readonly cipher: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  readonly keyLength: number;
}

/** The suites OpenSSL enables by default; TLS_AES_128_CCM* would need a CCM decipher. */
const TLS13_SUITES: ReadonlyMap<string, Tls13Suite> = new Map([
  ["TLS_AES_128_GCM_SHA256", { hash: "sha256", hashLength: 32, cipher: "aes-128-gcm", keyLength: 16 }],
  ["TLS_AES_256_GCM_SHA384", { hash: "sha384", hashLength: 48, cipher: "aes-256-gcm", keyLength: 32 }],
  ["TLS_CHACHA20_POLY1305_SHA256", { hash: "sha256", hashLength: 32, cipher: "chacha20-poly1305", keyLength: 32 }],
]);

const AEAD_IV_LENGTH = 12;
const AEAD_TAG_LENGTH = 16;
const SERVER_HANDSHAKE_SECRET_LABEL = "SERVER_HANDSHAKE_TRAFFIC_SECRET";

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

/** Find the single SERVER_HANDSHAKE_TRAFFIC_SECRET in NSS key log format lines. */
function serverHandshakeSecret(keylog: readonly Buffer[], suite: Tls13Suite): Buffer {
  const secrets = new Set<string>();
  for (const line of keylog) {
    const [label, clientRandom, secret, ...rest] = line.toString("latin1").trim().split(" ");
    if (label !== SERVER_HANDSHAKE_SECRET_LABEL) continue;
    if (clientRandom === undefined || secret === undefined || rest.length > 0 || !isHex(secret, suite.hashLength)) {
      throw new HandshakeCaptureError("malformed-keylog", `malformed ${SERVER_HANDSHAKE_SECRET_LABEL} keylog line`);
    }
    secrets.add(secret.toLowerCase());
  }
  const [secret, ...others] = secrets;
  if (secret === undefined) {
    throw new HandshakeCaptureError("missing-secret", `no ${SERVER_HANDSHAKE_SECRET_LABEL} in the keylog`);
  }
  if (others.length > 0) {
    throw new HandshakeCaptureError("ambiguous-secret", `${secrets.size} different ${SERVER_HANDSHAKE_SECRET_LABEL} lines in the keylog`);
  }
  return Buffer.from(secret, "hex");
}

function isHex(text: string, byteLength: number): boolean {
  return text.length === byteLength * 2 && /^[0-9a-f]*$/i.test(text);
}

/**
 * HKDF-Expand-Label with an empty context (RFC 8446 section 7.1). Key and IV
 * lengths never exceed the hash length, so HKDF-Expand (RFC 5869) needs only
 * its first block: T(1) = HMAC(secret, info || 0x01).
 */
function hkdfExpandLabel(suite: Tls13Suite, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, "ascii");
  const hkdfLabel = Buffer.alloc(2 + 1 + fullLabel.length + 1);
  hkdfLabel.writeUInt16BE(length, 0);
  hkdfLabel.writeUInt8(fullLabel.length, 2);
  fullLabel.copy(hkdfLabel, 3);
  // The trailing zero byte is the empty context's length.
  return createHmac(suite.hash, secret).update(hkdfLabel).update(Buffer.of(1)).digest().subarray(0, length);
}

/** Opens TLS 1.3 records (RFC 8446 section 5.2-5.3) in sequence. */
class Tls13RecordDecrypter {
  readonly #suite: Tls13Suite;
  readonly #key: Buffer;
  readonly #iv: Buffer;
  #sequence = 0n;

  constructor(suite: Tls13Suite, trafficSecret: Buffer) {
    this.#suite = suite;
    this.#key = hkdfExpandLabel(suite, trafficSecret, "key", suite.keyLength);
    this.#iv = hkdfExpandLabel(suite, trafficSecret, "iv", AEAD_IV_LENGTH);
  }

  open(record: TlsRecord): InnerPlaintext {
    const sequence = this.#sequence++;
    // At least one byte of inner content type plus the tag.
    if (record.body.length < 1 + AEAD_TAG_LENGTH) {
      throw new HandshakeCaptureError("malformed-record", `protected record of ${record.body.length} bytes is too short`);
    }
    const ciphertext = record.body.subarray(0, record.body.length - AEAD_TAG_LENGTH);
    const decipher = this.#decipher(this.#nonce(sequence));
    // The typings require plaintextLength for ChaCha20-Poly1305; GCM accepts it too.
    decipher.setAAD(record.header, { plaintextLength: ciphertext.length });
    decipher.setAuthTag(record.body.subarray(ciphertext.length));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new HandshakeCaptureError("decrypt-failed", `protected record ${sequence} failed authentication (wrong key or corrupted data)`);
    }
    return parseInnerPlaintext(plaintext);
  }

  /** Per-record nonce: the IV XOR the 64-bit sequence number, left-padded. */
  #nonce(sequence: bigint): Buffer {
    const nonce = Buffer.alloc(AEAD_IV_LENGTH);
    nonce.writeBigUInt64BE(sequence, AEAD_IV_LENGTH - 8);
    for (let index = 0; index < AEAD_IV_LENGTH; index++) {
      nonce[index] = (nonce[index] ?? 0) ^ (this.#iv[index] ?? 0);
    }
    return nonce;
  }

  #decipher(nonce: Buffer): DecipherGCM | DecipherChaCha20Poly1305 {
    const options = { authTagLength: AEAD_TAG_LENGTH };
    const cipher = this.#suite.cipher;
    // Separate calls so each matches its typed createDecipheriv overload.
    return cipher === "chacha20-poly1305"
      ? createDecipheriv(cipher, this.#key, nonce, options)
      : createDecipheriv(cipher, this.#key, nonce, options);
  }
}

interface InnerPlaintext {
  readonly type: number;
  readonly body: Buffer;
}

/** TLSInnerPlaintext: content, then the real content type, then zero padding. */
function parseInnerPlaintext(plaintext: Buffer): InnerPlaintext {
  let end = plaintext.length;
  while (end > 0 && plaintext[end - 1] === 0) end--;
  if (end === 0) {
    throw new HandshakeCaptureError("malformed-record", "protected record has no content type (all padding)");
  }
  return { type: plaintext.readUInt8(end - 1), body: plaintext.subarray(0, end - 1) };
}
