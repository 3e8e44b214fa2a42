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
 * The shape of a DER blob, from its structure alone: a PFX (version 3, then a PKCS#7
 * ContentInfo), an EncryptedPrivateKeyInfo (an AlgorithmIdentifier, then an OCTET STRING), a
 * key (a SEQUENCE opening with a small version INTEGER: PKCS#8, PKCS#1, SEC 1, DSA), or other
 * (a certificate, a CRL, garbage). A key that OpenSSL cannot read is still a key, so it is never
 * mistaken for a certificate and stored.
 */
export function derShape(der: Buffer): DerShape {
  const children = topSequence(der);
  if (!children) return "other";
  const [first, second] = children;
  if (first instanceof asn1js.Integer && first.valueBlock.valueDec === 3 && second instanceof asn1js.Sequence
    && (second.valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock?.toString?.().startsWith("1.2.840.113549.1.7.")) {
    return "pkcs12";
  }
  if (children.length === 2 && first instanceof asn1js.Sequence && first.valueBlock.value[0] instanceof asn1js.ObjectIdentifier
    && second instanceof asn1js.OctetString) {
    return "encrypted-private-key";
  }
  if (first instanceof asn1js.Integer && first.valueBlock.valueDec >= 0 && first.valueBlock.valueDec <= 1 && children.length >= 2) {
    return "private-key";
  }
  return "other";
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
