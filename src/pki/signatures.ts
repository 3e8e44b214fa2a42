// Signature algorithms: their names and hashes, and their verification, once for every signed
// structure pkiscope reads. node:crypto (OpenSSL) is the only verifier here that still checks the
// MD5, SHA-1, DSA and PSS signatures old PKIs carry (WebCrypto refuses them: weak links are still
// links, and rules judge them). But node picks the scheme from the key, not from the algorithm the
// signature names, so verifySignature() checks the key type against the algorithm first: an
// ecdsa-with-SHA256 signature never verifies as PKCS#1 with an RSA key.
//
// Certificate links (path building) come through here too, taken apart by certificateSignedData():
// node's X509Certificate would decode each child's own key with OpenSSL 3's decoders first (about
// 70% of a link's cost, measured on 100,000 P-256 leaves), a key the link never uses. Only
// algorithms this table cannot verify go to X509Certificate.verify (OpenSSL's X509_verify);
// tests/pki/signatures.test.ts checks that the two agree, so a certificate and a CRL or OCSP
// response signed alike verify alike.
import { type KeyObject, constants, createPublicKey, getHashes, verify } from "node:crypto";

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
const MGF1 = "1.2.840.113549.1.1.8";

/** Signature algorithm OID → name, hash and key types. Unknown OIDs are named by their dotted form. */
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

/** Hash algorithm OID → node's name (RSASSA-PSS parameters, OCSP CertIDs). */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

const KNOWN_HASHES: ReadonlySet<string> = new Set(Object.values(HASH_ALGORITHMS));

/** Hashes this OpenSSL offers (OpenSSL 3 has dropped MD2, and MD4 lives in its legacy provider). */
const AVAILABLE_HASHES: ReadonlySet<string> = new Set(getHashes());

// ---------------------------------------------------------------------------------------------
// Just enough DER for an AlgorithmIdentifier and RSASSA-PSS-params (and, in der-certificate.ts, a
// certificate's TBS). Every header is checked
// against its parent; anything off (BER, trailing bytes, a field out of order) is null.

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OID = 0x06;
const SEQUENCE = 0x30;
const CONTEXT_0 = 0xa0;
const DSA_KEY = "1.2.840.10040.4.1";

export interface Element {
  tag: number;
  /** Where its header begins. */
  header: number;
  /** First content byte. */
  start: number;
  /** Just past the content. */
  end: number;
}

export function element(der: Uint8Array, offset: number, limit: number): Element | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  const first = der[offset + 1]!;
  if ((tag & 0x1f) === 0x1f || first === 0x80) return null;
  let start = offset + 2;
  let length = first;
  if (first > 0x80) {
    const octets = first & 0x7f;
    // An AlgorithmIdentifier is a few dozen bytes, a certificate a few kilobytes: two length octets are enough.
    if (octets > 2 || start + octets > limit) return null;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  return start + length > limit ? null : { tag, header: offset, start, end: start + length };
}

/** The elements that exactly fill `parent`, or null. */
export function children(der: Uint8Array, parent: Element): Element[] | null {
  const list: Element[] = [];
  for (let pos = parent.start; pos < parent.end; pos = list[list.length - 1]!.end) {
    const child = element(der, pos, parent.end);
    if (child === null) return null;
    list.push(child);
  }
  return list;
}

export function oidText(der: Uint8Array, oid: Element): string | null {
  if (oid.tag !== OID || oid.end === oid.start || (der[oid.end - 1]! & 0x80) !== 0) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = oid.start; i < oid.end; i++) {
    value = value * 128 + (der[i]! & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) return null;
    if ((der[i]! & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0]! / 40), 2);
  return [first, arcs[0]! - first * 40, ...arcs.slice(1)].join(".");
}

/** A non-negative INTEGER of at most four value bytes; negative or huge ones are null. */
function smallUnsigned(der: Uint8Array, integer: Element): number | null {
  let start = integer.start;
  if (integer.tag !== INTEGER || integer.end === start || (der[start]! & 0x80) !== 0) return null;
  if (der[start] === 0 && integer.end - start > 1) start++;
  if (integer.end - start > 4) return null;
  let value = 0;
  for (let i = start; i < integer.end; i++) value = value * 256 + der[i]!;
  return value;
}

interface Algorithm {
  oid: string;
  parameters: Element | null;
}

/** An AlgorithmIdentifier: SEQUENCE { algorithm OID, parameters ANY OPTIONAL }, filling `within`. */
function algorithmIn(der: Uint8Array, within: Element): Algorithm | null {
  const fields = within.tag === SEQUENCE ? children(der, within) : null;
  if (fields === null || fields.length < 1 || fields.length > 2) return null;
  const oid = oidText(der, fields[0]!);
  return oid === null ? null : { oid, parameters: fields[1] ?? null };
}

/** The one element an EXPLICIT tag wraps. */
function explicit(der: Uint8Array, tagged: Element): Element | null {
  const inner = children(der, tagged);
  return inner?.length === 1 ? inner[0]! : null;
}

/** RFC 4055 RSASSA-PSS-params. Hashes are node's names, or their OIDs when unknown. */
export interface PssParameters {
  hash: string;
  mgfHash: string;
  saltLength: number;
  trailerField: number;
}

const hashName = (algorithm: Algorithm): string => HASH_ALGORITHMS[algorithm.oid] ?? algorithm.oid;

/**
 * The parameters of an RSASSA-PSS AlgorithmIdentifier (its whole DER), absent fields taking
 * their defaults (SHA-1, MGF1 with SHA-1, salt 20, trailer 1), as do absent parameters. null when
 * `algorithmDer` is not an RSASSA-PSS AlgorithmIdentifier with readable parameters. A mask
 * generation function other than MGF1 is kept visible as its OID in `mgfHash`.
 */
export function pssParameters(algorithmDer: Uint8Array): PssParameters | null {
  const outer = element(algorithmDer, 0, algorithmDer.length);
  if (outer === null || outer.end !== algorithmDer.length) return null;
  const algorithm = algorithmIn(algorithmDer, outer);
  if (algorithm?.oid !== RSASSA_PSS) return null;
  const result: PssParameters = { hash: "sha1", mgfHash: "sha1", saltLength: 20, trailerField: 1 };
  if (algorithm.parameters === null) return result;
  const fields = algorithm.parameters.tag === SEQUENCE ? children(algorithmDer, algorithm.parameters) : null;
  if (fields === null) return null;
  let lastTag = -1;
  for (const field of fields) {
    // [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength, [3] trailerField, each once, in order.
    const tagNumber = field.tag - 0xa0;
    if (tagNumber <= lastTag || tagNumber > 3) return null;
    lastTag = tagNumber;
    const inner = explicit(algorithmDer, field);
    if (inner === null) return null;
    if (tagNumber === 0 || tagNumber === 1) {
      const named = algorithmIn(algorithmDer, inner);
      if (named === null) return null;
      if (tagNumber === 0) {
        result.hash = hashName(named);
      } else {
        const mgfHash = named.oid === MGF1 && named.parameters !== null ? algorithmIn(algorithmDer, named.parameters) : null;
        result.mgfHash = mgfHash === null ? named.oid : hashName(mgfHash);
      }
    } else {
      const value = smallUnsigned(algorithmDer, inner);
      if (value === null) return null;
      if (tagNumber === 2) result.saltLength = value;
      else result.trailerField = value;
    }
  }
  return result;
}

/** A DER length field. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

// ---------------------------------------------------------------------------------------------
// Public keys

/** A certificate's SubjectPublicKeyInfo: its DER, its algorithm and its key (the BIT STRING), or null. */
function subjectPublicKeyInfo(certificateDer: Uint8Array): { der: Uint8Array; algorithm: Algorithm; key: Element } | null {
  const outer = element(certificateDer, 0, certificateDer.length);
  const tbs = outer?.tag === SEQUENCE ? children(certificateDer, outer)?.[0] : undefined;
  const fields = tbs?.tag === SEQUENCE ? children(certificateDer, tbs) : null;
  if (!fields) return null;
  // version [0] is optional; then serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
  const spki = fields[fields[0]?.tag === CONTEXT_0 ? 6 : 5];
  const parts = spki?.tag === SEQUENCE ? children(certificateDer, spki) : null;
  const algorithm = parts?.length === 2 ? algorithmIn(certificateDer, parts[0]!) : null;
  if (!spki || !parts || !algorithm || parts[1]!.tag !== BIT_STRING) return null;
  return { der: certificateDer.subarray(spki.header, spki.end), algorithm, key: parts[1]! };
}

/** A certificate's SubjectPublicKeyInfo DER as encoded (a slice, no copy), or null when it cannot be found. */
export function certificateSpki(certificateDer: Buffer): Buffer | null {
  const spki = subjectPublicKeyInfo(certificateDer);
  return spki === null ? null : Buffer.from(spki.der.buffer, spki.der.byteOffset, spki.der.length);
}

function keyFrom(spki: Uint8Array): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    return null;
  }
}

/**
 * A certificate's public key. A DSA key without parameters takes them from the nearest
 * certificate up its chain (`issuers`, nearest first) whose DSA key has them (RFC 3279 2.3.2,
 * RFC 5280 6.1.4 e-f): node:crypto refuses such a key on its own. null when no key can be made.
 */
export function certificatePublicKey(certificateDer: Uint8Array, issuers: readonly Uint8Array[] = []): KeyObject | null {
  const own = subjectPublicKeyInfo(certificateDer);
  if (own === null) return null;
  const key = keyFrom(own.der);
  if (key !== null || own.algorithm.oid !== DSA_KEY || own.algorithm.parameters !== null) return key;
  for (const issuer of issuers) {
    const above = subjectPublicKeyInfo(issuer);
    if (above?.algorithm.oid !== DSA_KEY) return null;
    const parameters = above.algorithm.parameters;
    if (parameters === null) continue;
    const parametersDer = issuer.subarray(parameters.header, parameters.end);
    const oid = Buffer.from([OID, 7, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]);
    const algorithm = Buffer.concat([Buffer.from([SEQUENCE]), derLength(oid.length + parametersDer.length), oid, parametersDer]);
    const bits = certificateDer.subarray(own.key.header, own.key.end);
    return keyFrom(Buffer.concat([Buffer.from([SEQUENCE]), derLength(algorithm.length + bits.length), algorithm, bits]));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Naming

/**
 * The name and hash of a signature algorithm, as inventories and reports show them: an unknown
 * OID is its own name; the hash is null when there is none (EdDSA) or it is unknown, and for
 * RSASSA-PSS comes from the parameters in `algorithmDer` (the whole AlgorithmIdentifier). Pass a
 * function when encoding that DER costs something: it is only called for RSASSA-PSS.
 */
export function describeSignatureAlgorithm(oid: string, algorithmDer?: Uint8Array | (() => Uint8Array) | null): { name: string; hash: string | null } {
  const known = SIGNATURE_ALGORITHMS[oid];
  if (known === undefined) return { name: oid, hash: null };
  if (oid !== RSASSA_PSS) return { name: known.name, hash: known.hash };
  let hash: string | null = null;
  try {
    const der = typeof algorithmDer === "function" ? algorithmDer() : algorithmDer;
    const pss = der ? pssParameters(der) : null;
    hash = pss !== null && KNOWN_HASHES.has(pss.hash) ? pss.hash : null;
  } catch {
    // An encoder that fails leaves the hash unknown, like unreadable parameters.
  }
  return { name: known.name, hash };
}

// ---------------------------------------------------------------------------------------------
// Verification

/** How node:crypto verifies one algorithm. */
interface Scheme {
  keyTypes: readonly string[];
  /** null for EdDSA, which signs the message itself. */
  hash: string | null;
  /** RSASSA-PSS only. */
  saltLength: number | null;
}

/**
 * How `algorithmOid` (with `algorithmDer`, the whole AlgorithmIdentifier, for RSASSA-PSS) is
 * verified, or null when node:crypto cannot: an unknown OID, a hash this OpenSSL lacks, PSS
 * parameters that are unreadable or ask for what node cannot do (node's PSS always masks with
 * MGF1 over the message hash and ends with 0xbc, i.e. trailerField 1).
 */
function schemeFor(algorithmOid: string, algorithmDer: Uint8Array | null | undefined): Scheme | null {
  const algorithm = SIGNATURE_ALGORITHMS[algorithmOid];
  if (algorithm === undefined) return null;
  if (algorithmOid !== RSASSA_PSS) {
    return algorithm.hash === null || AVAILABLE_HASHES.has(algorithm.hash) ? { keyTypes: algorithm.keyTypes, hash: algorithm.hash, saltLength: null } : null;
  }
  const pss = algorithmDer ? pssParameters(algorithmDer) : null;
  if (pss === null || pss.mgfHash !== pss.hash || pss.trailerField !== 1 || !KNOWN_HASHES.has(pss.hash)) return null;
  return { keyTypes: algorithm.keyTypes, hash: pss.hash, saltLength: pss.saltLength };
}

/** Whether verifySignature() can ever say true for this algorithm (see schemeFor). */
export function signatureAlgorithmSupported(algorithmOid: string, algorithmDer?: Uint8Array | null): boolean {
  return schemeFor(algorithmOid, algorithmDer) !== null;
}

export interface SignedData {
  algorithmOid: string;
  /** The whole AlgorithmIdentifier. Required for RSASSA-PSS, whose parameters it carries; not read otherwise. */
  algorithmDer?: Uint8Array | null;
  /** The signed bytes (tbsCertList, tbsResponseData, ...). */
  signed: Uint8Array;
  /** The signature: BIT STRING contents; DER for ECDSA and DSA. */
  signature: Uint8Array;
}

/**
 * A certificate taken apart for verifySignature(): the TBS bytes, the outer signatureAlgorithm and
 * the signature; `algorithmsAgree` says whether the TBS names the same algorithm, byte for byte
 * (X509_verify refuses a certificate whose two differ). null when the DER is not laid out as a
 * certificate (SEQUENCE { tbs SEQUENCE, algorithm, BIT STRING with no unused bits }).
 */
export function certificateSignedData(certificateDer: Uint8Array): (SignedData & { algorithmsAgree: boolean }) | null {
  const outer = element(certificateDer, 0, certificateDer.length);
  const parts = outer?.tag === SEQUENCE && outer.end === certificateDer.length ? children(certificateDer, outer) : null;
  if (parts?.length !== 3) return null;
  const [tbs, algorithmField, signature] = parts as [Element, Element, Element];
  const algorithm = algorithmIn(certificateDer, algorithmField);
  const tbsFields = tbs.tag === SEQUENCE ? children(certificateDer, tbs) : null;
  // version [0] is optional; then serialNumber, signature.
  const tbsAlgorithm = tbsFields?.[tbsFields[0]?.tag === CONTEXT_0 ? 2 : 1];
  if (algorithm === null || !tbsAlgorithm || signature.tag !== BIT_STRING || signature.end === signature.start || certificateDer[signature.start] !== 0) return null;
  const algorithmDer = certificateDer.subarray(algorithmField.header, algorithmField.end);
  return {
    algorithmOid: algorithm.oid,
    algorithmDer,
    signed: certificateDer.subarray(tbs.header, tbs.end),
    signature: certificateDer.subarray(signature.start + 1, signature.end),
    algorithmsAgree: Buffer.from(algorithmDer).equals(certificateDer.subarray(tbsAlgorithm.header, tbsAlgorithm.end)),
  };
}

/**
 * Whether `key` made this signature: PKCS#1 v1.5 RSA (MD5, SHA-1, SHA-2; MD2 and MD4 only where
 * OpenSSL still has them), RSASSA-PSS, ECDSA, DSA, Ed25519, Ed448. The key's type must be one the
 * algorithm names. Never throws: an unknown or unsupported algorithm, a key of the wrong type,
 * unreadable parameters or a malformed signature is simply false.
 */
export function verifySignature(data: SignedData, key: KeyObject): boolean {
  try {
    const scheme = schemeFor(data.algorithmOid, data.algorithmDer);
    const keyType = key.asymmetricKeyType;
    if (scheme === null || keyType === undefined || !scheme.keyTypes.includes(keyType)) return false;
    const options = scheme.saltLength === null ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength };
    return verify(scheme.hash, data.signed, options, data.signature);
  } catch {
    return false;
  }
}
