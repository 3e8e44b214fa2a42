/**
 * The TLS record layer as a capture sees it from the client side: records split
 * out of the bytes the server sent, handshake messages reassembled from their
 * record fragments, and a bounds-checked reader for the messages' fields.
 *
 * Written by hand for the reason given in `./certificate-message.ts`: no library
 * exposes the server's Certificate handshake message, so the records under it
 * are parsed here too.
 *
 * The input is treated as hostile: every length is checked against the bytes
 * actually present, nothing is allocated from a declared length, and any
 * problem surfaces as a `HandshakeCaptureError` with a stable `code`.
 */

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

export const ContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
export const HandshakeType = { serverHello: 2, certificate: 11, serverHelloDone: 14, finished: 20 } as const;

const RECORD_HEADER_LENGTH = 5;
const HANDSHAKE_HEADER_LENGTH = 4;
/** Largest record any TLS version permits (TLS 1.2 TLSCiphertext: 2^14 + 2048). */
const MAX_RECORD_LENGTH = 2 ** 14 + 2048;

// --- Records ---------------------------------------------------------------

export interface TlsRecord {
  readonly type: number;
  /** The 5-byte record header (TLS 1.3 uses it as AEAD additional data). */
  readonly header: Buffer;
  readonly body: Buffer;
}

/** Lazily split bytes into records, so a truncated tail only matters if we need it. */
export function* readRecords(inbound: Buffer): Generator<TlsRecord> {
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

/** The error for an alert record's body (plaintext, or the inner content of a protected record). */
export function alertError(body: Buffer): HandshakeCaptureError {
  if (body.length !== 2) return new HandshakeCaptureError("malformed-record", `alert record of ${body.length} bytes`);
  return new HandshakeCaptureError("server-alert", `server sent alert level ${body.readUInt8(0)} description ${body.readUInt8(1)}`);
}

// --- Handshake messages ----------------------------------------------------

export interface HandshakeMessage {
  readonly type: number;
  readonly body: Buffer;
}

/**
 * Reassembles handshake messages from record fragments: a message may span
 * records and a record may hold several messages. Fragments are only joined
 * when a header or a whole message is available, so each byte is copied a
 * bounded number of times even for a stream of 1-byte records.
 */
export class HandshakeReassembler {
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

/** Bounds-checked big-endian reader; every overrun is a `malformed-message`. */
export class MessageReader {
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
