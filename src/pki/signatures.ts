// Signature algorithms and their verification, once for every signed structure pkiscope reads
// (CRLs, OCSP responses; certificate names and hashes). Written here rather than left to a
// library because node:crypto (OpenSSL) is the only verifier that still checks MD5, SHA-1, DSA
// and PSS signatures old PKIs carry (WebCrypto refuses them), and node picks the scheme from the
// key, not from the algorithm the signature names: the key type is checked against the
// algorithm here, so an ecdsa-with-SHA256 signature never verifies as PKCS#1 with an RSA key.
// Certificate links in path building use X509Certificate.verify, where OpenSSL reads the
// algorithm from the certificate itself.
import { type KeyObject, constants, verify } from "node:crypto";

export interface SignatureAlgorithmInfo {
  name: string;
  /** The hash the algorithm signs with; null for RSASSA-PSS (in its parameters) and EdDSA (none). */
  hash: string | null;
  /** node:crypto's asymmetricKeyType values that may verify it. */
  keyTypes: readonly string[];
}

const RSA = ["rsa"] as const;
const EC = ["ec"] as const;
const DSA = ["dsa"] as const;

export const RSASSA_PSS = "1.2.840.113549.1.1.10";

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithmInfo>> = {
  "1.2.840.113549.1.1.2": { name: "md2WithRSAEncryption", hash: "md2", keyTypes: RSA },
  "1.2.840.113549.1.1.3": { name: "md4WithRSAEncryption", hash: "md4", keyTypes: RSA },
  "1.2.840.113549.1.1.4": { name: "md5WithRSAEncryption", hash: "md5", keyTypes: RSA },
  "1.2.840.113549.1.1.5": { name: "sha1WithRSAEncryption", hash: "sha1", keyTypes: RSA },
  "1.3.14.3.2.29": { name: "sha1WithRSAEncryption", hash: "sha1", keyTypes: RSA },
  "1.2.840.113549.1.1.14": { name: "sha224WithRSAEncryption", hash: "sha224", keyTypes: RSA },
  "1.2.840.113549.1.1.11": { name: "sha256WithRSAEncryption", hash: "sha256", keyTypes: RSA },
  "1.2.840.113549.1.1.12": { name: "sha384WithRSAEncryption", hash: "sha384", keyTypes: RSA },
  "1.2.840.113549.1.1.13": { name: "sha512WithRSAEncryption", hash: "sha512", keyTypes: RSA },
  [RSASSA_PSS]: { name: "rsassaPss", hash: null, keyTypes: ["rsa", "rsa-pss"] },
  "1.2.840.10045.4.1": { name: "ecdsa-with-SHA1", hash: "sha1", keyTypes: EC },
  "1.2.840.10045.4.3.1": { name: "ecdsa-with-SHA224", hash: "sha224", keyTypes: EC },
  "1.2.840.10045.4.3.2": { name: "ecdsa-with-SHA256", hash: "sha256", keyTypes: EC },
  "1.2.840.10045.4.3.3": { name: "ecdsa-with-SHA384", hash: "sha384", keyTypes: EC },
  "1.2.840.10045.4.3.4": { name: "ecdsa-with-SHA512", hash: "sha512", keyTypes: EC },
  "1.2.840.10040.4.3": { name: "dsa-with-sha1", hash: "sha1", keyTypes: DSA },
  "2.16.840.1.101.3.4.3.1": { name: "dsa-with-sha224", hash: "sha224", keyTypes: DSA },
  "2.16.840.1.101.3.4.3.2": { name: "dsa-with-sha256", hash: "sha256", keyTypes: DSA },
  "1.3.101.112": { name: "Ed25519", hash: null, keyTypes: ["ed25519"] },
  "1.3.101.113": { name: "Ed448", hash: null, keyTypes: ["ed448"] },
};

/** Hash algorithm OIDs (RSASSA-PSS parameters, OCSP CertIDs). */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** RFC 4055 RSASSA-PSS-params as decoded by the caller (hash names, or OIDs when unknown). */
export interface PssParameters {
  hash: string;
  mgfHash: string;
  saltLength: number;
  trailerField: number;
}

export interface SignedData {
  algorithmOid: string;
  /** Required for RSASSA-PSS; ignored otherwise. */
  pss?: PssParameters | null;
  signed: Uint8Array;
  signature: Uint8Array;
}

/**
 * Whether `key` made this signature: PKCS#1 v1.5 RSA (any hash OpenSSL still offers), RSASSA-PSS,
 * ECDSA, DSA, Ed25519, Ed448. Never throws: an unknown algorithm, a key of the wrong type,
 * unsupported PSS parameters or a malformed signature is simply false.
 */
export function verifySignature(data: SignedData, key: KeyObject): boolean {
  const algorithm = SIGNATURE_ALGORITHMS[data.algorithmOid];
  const keyType = key.asymmetricKeyType;
  if (!algorithm || keyType === undefined || !algorithm.keyTypes.includes(keyType)) return false;
  try {
    if (data.algorithmOid !== RSASSA_PSS) return verify(algorithm.hash, data.signed, key, data.signature);
    const pss = data.pss;
    // node:crypto's PSS always uses MGF1 with the message hash, and trailer 0xbc (trailerField 1).
    if (!pss || pss.mgfHash !== pss.hash || pss.trailerField !== 1) return false;
    return verify(pss.hash, data.signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, data.signature);
  } catch {
    return false;
  }
}
