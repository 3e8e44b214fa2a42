/**
 * TLS 1.3 handshake record protection from the client's side: the server
 * handshake traffic secret taken from NSS key log lines (what Node's TLSSocket
 * 'keylog' event emits), the traffic key and IV derived from it (RFC 8446
 * section 7), and the AEAD opening of the protected records (section 5.2-5.3).
 *
 * Written by hand because in TLS 1.3 the Certificate message the capture needs
 * (see `./certificate-message.ts`) travels encrypted, and nothing but OpenSSL's
 * own state, which Node does not expose, holds the key. Only what decrypting the
 * server's handshake flight needs is here: no client keys, no application keys.
 */
import {
  createDecipheriv,
  createHmac,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
} from "node:crypto";
import { HandshakeCaptureError, type TlsRecord } from "./records.js";

export interface Tls13Suite {
  readonly hash: "sha256" | "sha384";
  readonly hashLength: number;
  readonly cipher: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  readonly keyLength: number;
}

/** The suites OpenSSL enables by default; TLS_AES_128_CCM* would need a CCM decipher. */
export const TLS13_SUITES: ReadonlyMap<string, Tls13Suite> = new Map([
  ["TLS_AES_128_GCM_SHA256", { hash: "sha256", hashLength: 32, cipher: "aes-128-gcm", keyLength: 16 }],
  ["TLS_AES_256_GCM_SHA384", { hash: "sha384", hashLength: 48, cipher: "aes-256-gcm", keyLength: 32 }],
  ["TLS_CHACHA20_POLY1305_SHA256", { hash: "sha256", hashLength: 32, cipher: "chacha20-poly1305", keyLength: 32 }],
]);

const AEAD_IV_LENGTH = 12;
const AEAD_TAG_LENGTH = 16;
const SERVER_HANDSHAKE_SECRET_LABEL = "SERVER_HANDSHAKE_TRAFFIC_SECRET";

/** Find the single SERVER_HANDSHAKE_TRAFFIC_SECRET in NSS key log format lines. */
export function serverHandshakeSecret(keylog: readonly Buffer[], suite: Tls13Suite): Buffer {
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
export class Tls13RecordDecrypter {
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

/** A protected record's content once opened: its real content type and body. */
export interface InnerPlaintext {
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
