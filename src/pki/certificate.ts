// Turns DER into a CertificateRecord, once per distinct certificate. A DER walk
// (der-certificate.ts) reads the usual certificate; @peculiar/x509's ASN.1 model (x509-model.ts,
// loaded on first use) reads the rest;
// @peculiar/asn1-x509 decodes extensions; node:crypto reads the key (it is an order of magnitude faster and knows every
// curve OpenSSL knows). Certificates are hostile input: anything unparsable becomes a
// CertificateParseError that the caller records on the sighting.
import { ECDH, createPublicKey, hash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1js from "asn1js";
import * as asnX509 from "@peculiar/asn1-x509";
import type * as X509 from "@peculiar/x509";
import type { CertificateProfile, CertificateRecord, KeyAlgorithm } from "../model/types.js";
import { EXTENDED_KEY_USAGES, KEY_USAGE_NAMES, NAMED_CURVES, PUBLIC_KEY_ALGORITHMS } from "./oids.js";
import { certificateSpki, describeSignatureAlgorithm } from "./signatures.js";
import { certificateNames } from "./der-names.js";
import { type CertificateFields, type ExtensionFields, readCertificateFields, walkExtension } from "./der-certificate.js";
import { assessRsaModulus, modulusFromSpki } from "./rsa-weakness.js";
import { type X509Model, x509Model } from "./x509-model.js";

export class CertificateParseError extends Error {
  readonly code = "certificate-unparsable";
}

/** A certificate record plus the derived keys the store indexes on. */
export interface ParsedCertificate {
  record: CertificateRecord;
  /** sha256 of the subject / issuer Name DER as encoded: exact-match keys for path building. */
  subjectNameHash: string;
  issuerNameHash: string;
}

// crypto.hash, node's one-shot digest: about 1.7 µs for a certificate against createHash's 4.5 µs
// here, and an import hashes four things a certificate.
export function sha256Hex(data: Uint8Array | ArrayBuffer): string {
  return hash("sha256", data instanceof ArrayBuffer ? new Uint8Array(data) : data, "hex");
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  const walked = readCertificateFields(der);
  return walked ? describeFields(der, walked, walkExtension) : parseCertificateThroughModel(der);
}

/**
 * A certificate the DER walk (der-certificate.ts) does not take, read through @peculiar/x509's
 * ASN.1 model, its extensions decoded with @peculiar/asn1-x509; exported so tests can compare
 * the two readings.
 */
export function parseCertificateThroughModel(der: Buffer): ParsedCertificate {
  const model = x509Model();
  let cert: X509.X509Certificate;
  try {
    cert = new model.x509.X509Certificate(der);
  } catch (err) {
    throw new CertificateParseError(`not a parsable X.509 certificate: ${messageOf(err)}`, { cause: err });
  }
  return describeFields(der, modelFields(der, cert, model), () => null);
}

/** x509 keeps its parsed ASN.1 model protected; this parser reads it rather than parse twice. */
function asnOf(cert: X509.X509Certificate): asnX509.Certificate {
  return (cert as unknown as { asn: asnX509.Certificate }).asn;
}

/** The model's fields, lazily where x509 would throw, so its errors land in describeFields' catch. */
function modelFields(der: Buffer, cert: X509.X509Certificate, model: X509Model): () => CertificateFields {
  return () => {
    const { tbsCertificate: tbs, signatureAlgorithm } = asnOf(cert);
    const keyInfo = tbs.subjectPublicKeyInfo;
    const { parameters } = keyInfo.algorithm;
    return {
      version: tbs.version,
      serial: new Uint8Array(tbs.serialNumber),
      subject: cert.subject,
      issuer: cert.issuer,
      emptySubject: tbs.subject.length === 0,
      emptyIssuer: tbs.issuer.length === 0,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      signatureOid: signatureAlgorithm.algorithm,
      // Encoded again (read for RSASSA-PSS only, whose hash sits in the parameters, kept as they were read).
      signatureDer: () => new Uint8Array(model.AsnConvert.serialize(signatureAlgorithm)),
      // The key as encoded: x509's publicKey getter would encode it again (about 7% of a parse).
      spki: certificateSpki(der) ?? Buffer.from(cert.publicKey.rawData),
      keyOid: keyInfo.algorithm.algorithm,
      keyParameters: parameters ? new Uint8Array(parameters) : null,
      keyBits: new Uint8Array(keyInfo.subjectPublicKey),
      extensions: (tbs.extensions ?? []).map((ext) => ({ oid: ext.extnID, critical: ext.critical, value: new Uint8Array(ext.extnValue.buffer) })),
    };
  };
}

/** Reads an extension of the usual shape, or null to decode it with @peculiar/asn1-x509. */
type ExtensionWalker = (oid: string, value: Uint8Array) => Partial<ExtensionFields> | null;

function describeFields(der: Buffer, read: CertificateFields | (() => CertificateFields), walk: ExtensionWalker): ParsedCertificate {
  try {
    return describe(der, typeof read === "function" ? read() : read, walk);
  } catch (err) {
    throw new CertificateParseError(`certificate fields unreadable: ${messageOf(err)}`, { cause: err });
  }
}

function describe(der: Buffer, cert: CertificateFields, walk: ExtensionWalker): ParsedCertificate {
  const warnings: string[] = [];
  const key = describeKey(cert);
  if (key.parametersInherited) warnings.push("DSA key without parameters: they are inherited from the issuer's key (RFC 3279 §2.3.2), so its size is unknown here");
  const signature = describeSignatureAlgorithm(cert.signatureOid, cert.signatureDer);
  const ext = readExtensions(cert, walk, warnings);
  // The names exactly as encoded (x509 would re-encode them, mangling invalid UTF-8): what
  // issuer matching and CRL issuers compare against.
  const names = certificateNames(der);
  if (!names) throw new CertificateParseError("certificate names unreadable");
  const subjectNameHash = sha256Hex(names.subject);
  const issuerNameHash = sha256Hex(names.issuer);

  const record: CertificateRecord = {
    sha256: sha256Hex(der),
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: serialHex(cert.serial),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyAlgorithm: key.algorithm,
    keySize: key.size,
    curve: key.curve,
    spkiSha256: sha256Hex(cert.spki),
    signatureAlgorithm: signature.name,
    signatureHash: signature.hash,
    ...ext,
    selfIssued: subjectNameHash === issuerNameHash,
    rsaWeakness: key.modulus === null ? null : assessRsaModulus(key.modulus),
    parseWarnings: warnings,
    keyParametersInherited: key.parametersInherited,
    profile: describeProfile(cert),
  };
  return { record, subjectNameHash, issuerNameHash };
}

/** x509's serialNumber: the INTEGER's octets in hex, a leading 0x00 before a high bit dropped. */
function serialHex(serial: Uint8Array): string {
  const octets = serial.length > 1 && serial[0] === 0 && serial[1]! > 0x7f ? serial.subarray(1) : serial;
  return Buffer.from(octets.buffer, octets.byteOffset, octets.length).toString("hex");
}

interface KeyDescription {
  algorithm: KeyAlgorithm;
  size: number | null;
  curve: string | null;
  modulus: bigint | null;
  /** A DSA key without parameters of its own (RFC 3279 §2.3.2): its size is the issuer's. */
  parametersInherited: boolean;
}

const ASN1_NULL = Buffer.from([0x05, 0x00]);

function describeKey(cert: CertificateFields): KeyDescription {
  const algorithm: KeyAlgorithm = PUBLIC_KEY_ALGORITHMS[cert.keyOid] ?? "unknown";
  const parameters = cert.keyParameters;
  // Absent parameters mean the issuer's (PKITS 4.1.5); a NULL in their place reads the same.
  if (algorithm === "DSA" && (!parameters || ASN1_NULL.equals(parameters))) {
    return { algorithm, size: null, curve: null, modulus: null, parametersInherited: true };
  }
  const point = algorithm === "EC" ? namedCurvePoint(cert) : null;
  if (point) return { algorithm, size: point.size, curve: point.curve, modulus: null, parametersInherited: false };
  return { ...describeKeyObject(cert.spki, algorithm), parametersInherited: false };
}

/** OpenSSL's names of the named curves NAMED_CURVES knows, by the DER of their OID (as an SPKI's parameters hold it). */
const CURVES_BY_OID_DER: Readonly<Record<string, string>> = {
  "06082a8648ce3d030101": "prime192v1", // 1.2.840.10045.3.1.1
  "06052b81040021": "secp224r1", // 1.3.132.0.33
  "06082a8648ce3d030107": "prime256v1", // 1.2.840.10045.3.1.7
  "06052b81040022": "secp384r1", // 1.3.132.0.34
  "06052b81040023": "secp521r1", // 1.3.132.0.35
  "06052b8104000a": "secp256k1", // 1.3.132.0.10
  "06092b2403030208010107": "brainpoolP256r1", // 1.3.36.3.3.2.8.1.1.7
  "06092b240303020801010b": "brainpoolP384r1", // 1.3.36.3.3.2.8.1.1.11
  "06092b240303020801010d": "brainpoolP512r1", // 1.3.36.3.3.2.8.1.1.13
};

/**
 * Size and curve of an EC key on a named curve, its point checked by OpenSSL (ECDH.convertKey
 * refuses a point off the curve, as createPublicKey does) without loading the key through
 * OpenSSL 3's decoders, which cost about three times as much. null for anything else (explicit
 * parameters, an unknown curve, unused bits): describeKeyObject() judges those.
 */
function namedCurvePoint({ spki, keyParameters, keyBits: point }: CertificateFields): { size: number | null; curve: string | null } | null {
  const opensslName = keyParameters ? CURVES_BY_OID_DER[Buffer.from(keyParameters.buffer, keyParameters.byteOffset, keyParameters.length).toString("hex")] : undefined;
  const named = opensslName ? NAMED_CURVES[opensslName] : undefined;
  // The BIT STRING ends the SPKI: the octet before its content counts the unused bits, zero for a point.
  if (!opensslName || !named || spki.length <= point.length || spki[spki.length - point.length - 1] !== 0) return null;
  return pointOnCurve(point, opensslName) ? { size: named.bits, curve: named.name } : { size: null, curve: null };
}

/** NIST P-256 and P-384: y² = x³ − 3x + b over the prime p, coordinates of `bytes` octets. */
const A_MINUS_3_CURVES: Readonly<Record<string, { p: bigint; b: bigint; bytes: number }>> = {
  prime256v1: {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    bytes: 32,
  },
  secp384r1: {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    bytes: 48,
  },
};

/**
 * Whether `point` (an SEC 1 encoding) is a point of the named curve, as ECDH.convertKey judges it.
 * An uncompressed P-256 or P-384 point is checked here with BigInt arithmetic: convertKey builds
 * the curve's group for every call, 4 to 5 times the cost (about 30 against 7 µs a key measured
 * here), and was 8% of an import of P-256 leaves. Every other form and curve goes to OpenSSL.
 */
export function pointOnCurve(point: Uint8Array, opensslName: string): boolean {
  const curve = A_MINUS_3_CURVES[opensslName];
  if (curve && point.length === 1 + 2 * curve.bytes && point[0] === 0x04) {
    const coordinates = Buffer.from(point.buffer, point.byteOffset, point.length);
    const x = BigInt(`0x${coordinates.toString("hex", 1, 1 + curve.bytes)}`);
    const y = BigInt(`0x${coordinates.toString("hex", 1 + curve.bytes)}`);
    return x < curve.p && y < curve.p && (y * y - (x * x * x - 3n * x + curve.b)) % curve.p === 0n;
  }
  try {
    ECDH.convertKey(point, opensslName);
    return true;
  } catch {
    return false;
  }
}

/** Size and curve of a public key (SPKI DER) of a known algorithm; nulls for what OpenSSL cannot read. */
export function describeKeyObject(spki: Buffer, algorithm: KeyAlgorithm): Omit<KeyDescription, "parametersInherited"> {
  let keyObject;
  try {
    keyObject = createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch {
    // Explicit EC parameters, broken moduli and unknown algorithms land here: the algorithm
    // is still known from the OID, the size is not.
    return { algorithm, size: null, curve: null, modulus: null };
  }
  const details = keyObject.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case "RSA": {
      return { algorithm, size: details.modulusLength ?? null, curve: null, modulus: modulusFromSpki(spki) };
    }
    case "EC": {
      const named = details.namedCurve ? NAMED_CURVES[details.namedCurve] : undefined;
      const curve = named?.name ?? details.namedCurve ?? null;
      const size = named?.bits ?? (curve ? Number(/\d{3}/.exec(curve)?.[0] ?? NaN) || null : null);
      return { algorithm, size, curve, modulus: null };
    }
    case "DSA":
      return { algorithm, size: details.modulusLength ?? null, curve: null, modulus: null };
    case "Ed25519":
      return { algorithm, size: 256, curve: null, modulus: null };
    case "Ed448":
      return { algorithm, size: 456, curve: null, modulus: null };
    default:
      return { algorithm, size: null, curve: null, modulus: null };
  }
}


// Extensions of the usual shapes are read by walkExtension() (der-certificate.ts); the rest are
// decoded from their values with @peculiar/asn1-x509. x509's `extensions` getter would
// re-serialise and re-parse every extension (about 10 ms a certificate with the usual nine
// extensions, measured here).
function readExtensions(cert: CertificateFields, walk: ExtensionWalker, warnings: string[]): ExtensionFields {
  const fields: ExtensionFields = {
    sans: [],
    hasSanExtension: false,
    isCA: false,
    pathLength: null,
    keyUsage: [],
    extendedKeyUsage: [],
    authorityKeyId: null,
    subjectKeyId: null,
    crlDistributionPoints: [],
    ocspUrls: [],
    caIssuersUrls: [],
    certificatePolicies: [],
    cpsUris: [],
  };
  for (const ext of cert.extensions) {
    const walked = walk(ext.oid, ext.value);
    if (walked) {
      Object.assign(fields, walked);
      continue;
    }
    const decode = EXTENSION_DECODERS[ext.oid];
    if (!decode) continue;
    try {
      decode(ext.value, fields);
    } catch (err) {
      warnings.push(`extension ${ext.oid} undecodable: ${messageOf(err)}`);
    }
  }
  return fields;
}

type ExtensionDecoder = (value: Uint8Array, fields: ExtensionFields) => void;

const EXTENSION_DECODERS: Readonly<Record<string, ExtensionDecoder>> = {
  [asnX509.id_ce_basicConstraints]: (value, fields) => {
    const bc = AsnConvert.parse(value, asnX509.BasicConstraints);
    fields.isCA = bc.cA;
    fields.pathLength = bc.pathLenConstraint ?? null;
  },
  [asnX509.id_ce_keyUsage]: (value, fields) => {
    const bits = AsnConvert.parse(value, asnX509.KeyUsage).toNumber();
    fields.keyUsage = KEY_USAGE_NAMES.filter((_, bit) => (bits & (1 << bit)) !== 0);
  },
  [asnX509.id_ce_extKeyUsage]: (value, fields) => {
    fields.extendedKeyUsage = AsnConvert.parse(value, asnX509.ExtendedKeyUsage).map((oid) => EXTENDED_KEY_USAGES[oid] ?? oid);
  },
  [asnX509.id_ce_subjectAltName]: (value, fields) => {
    fields.hasSanExtension = true;
    fields.sans = AsnConvert.parse(value, asnX509.SubjectAlternativeName).map(describeGeneralName);
  },
  [asnX509.id_ce_authorityKeyIdentifier]: (value, fields) => {
    const keyId = AsnConvert.parse(value, asnX509.AuthorityKeyIdentifier).keyIdentifier;
    fields.authorityKeyId = keyId ? Buffer.from(keyId.buffer).toString("hex") : null;
  },
  [asnX509.id_ce_subjectKeyIdentifier]: (value, fields) => {
    fields.subjectKeyId = Buffer.from(AsnConvert.parse(value, asnX509.SubjectKeyIdentifier).buffer).toString("hex");
  },
  [asnX509.id_ce_cRLDistributionPoints]: (value, fields) => {
    fields.crlDistributionPoints = AsnConvert.parse(value, asnX509.CRLDistributionPoints).flatMap((dp) =>
      (dp.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : [])),
    );
  },
  [asnX509.id_pe_authorityInfoAccess]: (value, fields) => {
    const access = AsnConvert.parse(value, asnX509.AuthorityInfoAccessSyntax);
    const urls = (method: string): string[] =>
      access.flatMap((a) => (a.accessMethod === method && a.accessLocation.uniformResourceIdentifier ? [a.accessLocation.uniformResourceIdentifier] : []));
    fields.ocspUrls = urls(asnX509.id_ad_ocsp);
    fields.caIssuersUrls = urls(asnX509.id_ad_caIssuers);
  },
  [asnX509.id_ce_certificatePolicies]: (value, fields) => {
    const policies = AsnConvert.parse(value, asnX509.CertificatePolicies);
    fields.certificatePolicies = policies.map((p) => p.policyIdentifier);
    // A CPS pointer qualifier (RFC 5280 §4.2.1.4) is an IA5String URI: evidence of a published CPS.
    fields.cpsUris = policies.flatMap((p) => (p.policyQualifiers ?? []).flatMap((q) => {
      if (q.policyQualifierId !== asnX509.id_qt_csp) return [];
      const uri = asn1js.fromBER(q.qualifier).result;
      return uri instanceof asn1js.IA5String ? [uri.getValue()] : [];
    }));
  },
};

/** Names of the extensions RFC 5280 defines, for profile facts; others are named by OID. */
const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [asnX509.id_ce_authorityKeyIdentifier]: "authorityKeyIdentifier",
  [asnX509.id_ce_subjectKeyIdentifier]: "subjectKeyIdentifier",
  [asnX509.id_ce_keyUsage]: "keyUsage",
  [asnX509.id_ce_certificatePolicies]: "certificatePolicies",
  [asnX509.id_ce_policyMappings]: "policyMappings",
  [asnX509.id_ce_subjectAltName]: "subjectAltName",
  [asnX509.id_ce_issuerAltName]: "issuerAltName",
  [asnX509.id_ce_subjectDirectoryAttributes]: "subjectDirectoryAttributes",
  [asnX509.id_ce_basicConstraints]: "basicConstraints",
  [asnX509.id_ce_nameConstraints]: "nameConstraints",
  [asnX509.id_ce_policyConstraints]: "policyConstraints",
  [asnX509.id_ce_extKeyUsage]: "extKeyUsage",
  [asnX509.id_ce_cRLDistributionPoints]: "cRLDistributionPoints",
  [asnX509.id_ce_inhibitAnyPolicy]: "inhibitAnyPolicy",
  [asnX509.id_ce_freshestCRL]: "freshestCRL",
  [asnX509.id_pe_authorityInfoAccess]: "authorityInfoAccess",
  [asnX509.id_pe_subjectInfoAccess]: "subjectInfoAccess",
};

/** How the TBS is encoded, as the certificate-profile rule judges it. */
function describeProfile(cert: CertificateFields): CertificateProfile {
  // The INTEGER's content octets, two's complement as encoded (a leading 0x00 counts).
  const { serial } = cert;
  const extensions = cert.extensions.map((ext) => ({ name: EXTENSION_NAMES[ext.oid] ?? ext.oid, critical: ext.critical }));
  const names = extensions.map((ext) => ext.name);
  return {
    version: cert.version + 1,
    serialBytes: serial.length,
    serialSign: (serial[0] ?? 0) & 0x80 ? "negative" : serial.every((byte) => byte === 0) ? "zero" : "positive",
    criticalExtensions: extensions.filter((ext) => ext.critical).map((ext) => ext.name),
    duplicateExtensions: [...new Set(names.filter((name, i) => names.indexOf(name) !== i))],
    emptySubject: cert.emptySubject,
    emptyIssuer: cert.emptyIssuer,
  };
}

/** "DNS:host", "IP:192.0.2.1", "EMAIL:a@b", "URL:...", "DN:CN=...", as certificate viewers print them. */
function describeGeneralName(n: asnX509.GeneralName): string {
  if (n.dNSName !== undefined) return `DNS:${n.dNSName}`;
  if (n.iPAddress !== undefined) return `IP:${n.iPAddress}`;
  if (n.rfc822Name !== undefined) return `EMAIL:${n.rfc822Name}`;
  if (n.uniformResourceIdentifier !== undefined) return `URL:${n.uniformResourceIdentifier}`;
  // As DER: x509's Name takes a schema object only of its own copy of @peculiar/asn1-x509.
  if (n.directoryName !== undefined) return `DN:${new (x509Model().x509.Name)(AsnConvert.serialize(n.directoryName)).toString()}`;
  if (n.registeredID !== undefined) return `ID:${n.registeredID}`;
  if (n.otherName !== undefined) return `OTHER:${n.otherName.typeId}`;
  return "OTHER";
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
