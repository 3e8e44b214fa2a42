// Private keys found in scanned files: what shape a DER blob has (a key, an encrypted key, a
// PKCS#12 file or something else), and what a key is (algorithm, size or curve, the SHA-256 of
// its public key's SPKI, which is how keys are matched to certificates). The key material is
// only ever held in memory here; nothing returned contains it or a hash of it.
// Files are hostile: an encrypted key's KDF parameters are checked before OpenSSL is asked to
// run them, so a file cannot make the scan spend hours deriving one key.
import { type KeyObject, createPrivateKey, createPublicKey } from "node:crypto";
import * as asn1js from "asn1js";
import type { KeyAlgorithm } from "../model/types.js";
import { describeKeyObject, messageOf, sha256Hex } from "./certificate.js";

/** The most key-derivation iterations one decryption attempt may cost (OpenSSL writes 2048, Java 10000). */
export const MAX_KDF_ITERATIONS = 1_000_000;
/** scrypt's N·r above this (about 1 GiB of memory at r = 8) is not attempted. */
const MAX_SCRYPT_COST = 1 << 20;

export interface KeyDescription {
  keyAlgorithm: KeyAlgorithm;
  keySize: number | null;
  curve: string | null;
  /** SHA-256 of the public key's SubjectPublicKeyInfo DER. */
  spkiSha256: string;
}

const KEY_TYPES: Readonly<Record<string, KeyAlgorithm>> = {
  rsa: "RSA", "rsa-pss": "RSA", ec: "EC", dsa: "DSA", ed25519: "Ed25519", ed448: "Ed448",
};

/** What a private key is, from its public half. */
export function describePrivateKey(key: KeyObject): KeyDescription {
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const keyAlgorithm = KEY_TYPES[key.asymmetricKeyType ?? ""] ?? "unknown";
  const { size, curve } = describeKeyObject(spki, keyAlgorithm);
  return { keyAlgorithm, keySize: size, curve, spkiSha256: sha256Hex(spki) };
}

/** The same facts for a public key a certificate carries (a keystore key that could not be opened). */
export function describePublicKeyOf(certificateDer: Buffer): Omit<KeyDescription, "spkiSha256"> | null {
  try {
    const tbs = topSequence(certificateDer)?.[0];
    const spkiNode = tbs instanceof asn1js.Sequence ? tbs.valueBlock.value.find(isSpki) : undefined;
    if (!spkiNode) return null;
    const spki = Buffer.from(spkiNode.toBER());
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    const keyAlgorithm = KEY_TYPES[key.asymmetricKeyType ?? ""] ?? "unknown";
    const { size, curve } = describeKeyObject(spki, keyAlgorithm);
    return { keyAlgorithm, keySize: size, curve };
  } catch {
    return null;
  }
}

/** A SubjectPublicKeyInfo inside a TBSCertificate: SEQUENCE { AlgorithmIdentifier, BIT STRING }. */
function isSpki(node: asn1js.AsnType): boolean {
  if (!(node instanceof asn1js.Sequence)) return false;
  const [algorithm, key] = node.valueBlock.value;
  return algorithm instanceof asn1js.Sequence && algorithm.valueBlock.value[0] instanceof asn1js.ObjectIdentifier
    && key instanceof asn1js.BitString;
}

/** How a DER blob reads at its top level. */
export type DerShape = "pkcs12" | "private-key" | "encrypted-private-key" | "other";

/**
 * The shape of a DER blob, from the headers of its first elements alone (so a truncated file is
 * told apart too): a PFX (a SEQUENCE opening with INTEGER 3), an EncryptedPrivateKeyInfo (a
 * SEQUENCE whose first element is an AlgorithmIdentifier, a SEQUENCE opening with an OID), a key
 * (a SEQUENCE opening with INTEGER 0 or 1: PKCS#8, PKCS#1, SEC 1, DSA), or other (a certificate,
 * whose TBSCertificate opens with [0] or INTEGER; a CRL; garbage). A key that OpenSSL cannot
 * read, or a cut-off keystore, is never mistaken for a certificate and stored.
 */
export function derShape(der: Buffer): DerShape {
  const first = der[0] === 0x30 ? contentStart(der, 0) : -1;
  if (first < 0 || first + 2 >= der.length) return "other";
  if (der[first] === 0x02 && der[first + 1] === 0x01) {
    if (der[first + 2] === 3) return "pkcs12";
    if (der[first + 2] === 0 || der[first + 2] === 1) return "private-key";
  }
  if (der[first] === 0x30) {
    const inner = contentStart(der, first);
    if (inner >= 0 && der[inner] === 0x06) return "encrypted-private-key";
  }
  return "other";
}

/** Where the contents of the element whose header is at `at` start (definite lengths up to 4 octets), or -1. */
function contentStart(der: Buffer, at: number): number {
  const length = der[at + 1];
  if (length === undefined) return -1;
  if (length < 0x80) return at + 2;
  const octets = length - 0x80;
  return octets >= 1 && octets <= 4 && at + 2 + octets <= der.length ? at + 2 + octets : -1;
}

function topSequence(der: Buffer): asn1js.AsnType[] | null {
  const parsed = asn1js.fromBER(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return null;
  return parsed.result.valueBlock.value;
}

/** An unencrypted DER key in any of the encodings OpenSSL reads, or why it is not one. */
export function readDerKey(der: Buffer): { key: KeyObject; format: "pkcs8" | "traditional" } | { error: string } {
  for (const [type, format] of [["pkcs8", "pkcs8"], ["pkcs1", "traditional"], ["sec1", "traditional"]] as const) {
    try {
      return { key: createPrivateKey({ key: der, format: "der", type }), format };
    } catch {
      // the next encoding
    }
  }
  // DSA keys in their traditional DER form are read through PEM only.
  try {
    const pem = `-----BEGIN DSA PRIVATE KEY-----\n${der.toString("base64")}\n-----END DSA PRIVATE KEY-----\n`;
    return { key: createPrivateKey(pem), format: "traditional" };
  } catch (err) {
    return { error: `not a private key OpenSSL reads (${messageOf(err)})` };
  }
}

/**
 * Why an EncryptedPrivateKeyInfo must not be handed to OpenSSL (an iteration count or scrypt
 * cost over the caps, or a scheme whose cost cannot be read), or null when it may.
 */
export function kdfCostProblem(encryptedDer: Buffer): string | null {
  const algorithm = topSequence(encryptedDer)?.[0];
  const oid = algorithm instanceof asn1js.Sequence ? oidOf(algorithm.valueBlock.value[0]) : null;
  const params = algorithm instanceof asn1js.Sequence ? algorithm.valueBlock.value[1] : undefined;
  if (!oid || !(params instanceof asn1js.Sequence)) return "its encryption parameters cannot be read";
  const [first, second] = params.valueBlock.value;
  // PBES1 and the PKCS#12 PBEs: SEQUENCE { salt OCTET STRING, iterations INTEGER }.
  if (oid.startsWith("1.2.840.113549.1.5.") && oid !== PBES2 || oid.startsWith("1.2.840.113549.1.12.1.")) {
    return iterationProblem(second);
  }
  if (oid !== PBES2 || !(first instanceof asn1js.Sequence)) return `its encryption scheme ${oid} is not one pkiscope opens`;
  const kdf = oidOf(first.valueBlock.value[0]);
  const kdfParams = first.valueBlock.value[1];
  if (!(kdfParams instanceof asn1js.Sequence)) return "its key derivation parameters cannot be read";
  const values = kdfParams.valueBlock.value;
  if (kdf === PBKDF2) return iterationProblem(values[1]);
  if (kdf === SCRYPT) {
    const [n, r] = [values[1], values[2]].map((v) => (v instanceof asn1js.Integer ? v.valueBlock.valueDec : Infinity)) as [number, number];
    return n * r > MAX_SCRYPT_COST ? `its scrypt cost (N ${n}, r ${r}) is over the cap` : null;
  }
  return `its key derivation ${kdf ?? "(unreadable)"} is not one pkiscope opens`;
}

const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const SCRYPT = "1.3.6.1.4.1.11591.4.11";

function oidOf(node: asn1js.AsnType | undefined): string | null {
  return node instanceof asn1js.ObjectIdentifier ? node.valueBlock.toString() : null;
}

function iterationProblem(node: asn1js.AsnType | undefined): string | null {
  const iterations = node instanceof asn1js.Integer ? node.valueBlock.valueDec : Infinity;
  return iterations > MAX_KDF_ITERATIONS ? `its ${Number.isFinite(iterations) ? iterations : "unreadable"} key derivation iterations are over the cap of ${MAX_KDF_ITERATIONS}` : null;
}
