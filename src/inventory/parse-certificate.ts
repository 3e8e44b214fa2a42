// Turns DER into a CertificateRecord, once per distinct certificate. @peculiar/x509 reads names
// and extensions; node:crypto reads the key (it is an order of magnitude faster and knows every
// curve OpenSSL knows). Certificates are hostile input: anything unparsable becomes a
// CertificateParseError that the caller records on the sighting.
import { createHash, createPublicKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CertificateRecord, KeyAlgorithm } from "../model/types.js";
import {
  EXTENDED_KEY_USAGES,
  HASH_ALGORITHMS,
  KEY_USAGE_NAMES,
  NAMED_CURVES,
  PUBLIC_KEY_ALGORITHMS,
  SIGNATURE_ALGORITHMS,
} from "./oids.js";
import { assessRsaModulus, modulusFromSpki } from "./rsa-weakness.js";

export class CertificateParseError extends Error {
  readonly code = "certificate-unparsable";
}

/** A certificate record plus the derived keys the store indexes on. */
export interface ParsedCertificate {
  record: CertificateRecord;
  /** sha256 of the subject / issuer Name DER: exact-match keys for path building. */
  subjectNameHash: string;
  issuerNameHash: string;
}

export function sha256Hex(data: Uint8Array | ArrayBuffer): string {
  return createHash("sha256")
    .update(data instanceof ArrayBuffer ? new Uint8Array(data) : data)
    .digest("hex");
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(der);
  } catch (err) {
    throw new CertificateParseError(`not a parsable X.509 certificate: ${messageOf(err)}`, { cause: err });
  }
  try {
    return describe(der, cert);
  } catch (err) {
    throw new CertificateParseError(`certificate fields unreadable: ${messageOf(err)}`, { cause: err });
  }
}

/** The ASN.1 fields this parser reads directly (x509 keeps its ASN.1 model protected). */
interface CertificateAsn {
  signatureAlgorithm: { algorithm: string };
  tbsCertificate: { subjectPublicKeyInfo: { algorithm: { algorithm: string } } };
}

function asnOf(cert: x509.X509Certificate): CertificateAsn {
  return (cert as unknown as { asn: CertificateAsn }).asn;
}

function describe(der: Buffer, cert: x509.X509Certificate): ParsedCertificate {
  const warnings: string[] = [];
  const spki = Buffer.from(cert.publicKey.rawData);
  const key = describeKey(spki, asnOf(cert).tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm);
  const signature = describeSignature(cert);
  const ext = readExtensions(cert, warnings);
  const subjectDer = new Uint8Array(cert.subjectName.toArrayBuffer());
  const issuerDer = new Uint8Array(cert.issuerName.toArrayBuffer());
  const subjectNameHash = sha256Hex(subjectDer);
  const issuerNameHash = sha256Hex(issuerDer);

  const record: CertificateRecord = {
    sha256: sha256Hex(der),
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyAlgorithm: key.algorithm,
    keySize: key.size,
    curve: key.curve,
    spkiSha256: sha256Hex(spki),
    signatureAlgorithm: signature.name,
    signatureHash: signature.hash,
    ...ext,
    selfIssued: subjectNameHash === issuerNameHash,
    rsaWeakness: key.modulus === null ? null : assessRsaModulus(key.modulus),
    parseWarnings: warnings,
  };
  return { record, subjectNameHash, issuerNameHash };
}

interface KeyDescription {
  algorithm: KeyAlgorithm;
  size: number | null;
  curve: string | null;
  modulus: bigint | null;
}

function describeKey(spki: Buffer, algorithmOid: string): KeyDescription {
  const algorithm: KeyAlgorithm = PUBLIC_KEY_ALGORITHMS[algorithmOid] ?? "unknown";
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

function describeSignature(cert: x509.X509Certificate): { name: string; hash: string | null } {
  const oid = asnOf(cert).signatureAlgorithm.algorithm;
  const known = SIGNATURE_ALGORITHMS[oid];
  if (known && known.hash !== null) return known;
  if (known?.name === "rsassaPss") {
    // The hash of an RSASSA-PSS signature sits in its parameters; @peculiar/x509 decodes them.
    try {
      const hashName = (cert.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
      const hash = hashName ? hashName.toLowerCase().replace("-", "") : null;
      return { name: known.name, hash: hash && Object.values(HASH_ALGORITHMS).includes(hash) ? hash : null };
    } catch {
      return { name: known.name, hash: null };
    }
  }
  return known ?? { name: oid, hash: null };
}

type ExtensionFields = Pick<
  CertificateRecord,
  | "sans"
  | "hasSanExtension"
  | "isCA"
  | "pathLength"
  | "keyUsage"
  | "extendedKeyUsage"
  | "authorityKeyId"
  | "subjectKeyId"
  | "crlDistributionPoints"
  | "ocspUrls"
  | "caIssuersUrls"
  | "certificatePolicies"
>;

function readExtensions(cert: x509.X509Certificate, warnings: string[]): ExtensionFields {
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
  };
  let extensions: x509.Extension[];
  try {
    extensions = cert.extensions;
  } catch (err) {
    warnings.push(`extensions undecodable: ${messageOf(err)}`);
    return fields;
  }
  for (const ext of extensions) {
    try {
      applyExtension(ext, fields);
    } catch (err) {
      warnings.push(`extension ${ext.type} undecodable: ${messageOf(err)}`);
    }
  }
  return fields;
}

function applyExtension(ext: x509.Extension, fields: ExtensionFields): void {
  if (ext instanceof x509.BasicConstraintsExtension) {
    fields.isCA = ext.ca;
    fields.pathLength = ext.pathLength ?? null;
  } else if (ext instanceof x509.KeyUsagesExtension) {
    fields.keyUsage = KEY_USAGE_NAMES.filter((_, bit) => (ext.usages & (1 << bit)) !== 0);
  } else if (ext instanceof x509.ExtendedKeyUsageExtension) {
    fields.extendedKeyUsage = ext.usages.map((oid) => EXTENDED_KEY_USAGES[String(oid)] ?? String(oid));
  } else if (ext instanceof x509.SubjectAlternativeNameExtension) {
    fields.hasSanExtension = true;
    fields.sans = ext.names.items.map((n) => `${n.type.toUpperCase()}:${n.value}`);
  } else if (ext instanceof x509.AuthorityKeyIdentifierExtension) {
    fields.authorityKeyId = ext.keyId?.toLowerCase() ?? null;
  } else if (ext instanceof x509.SubjectKeyIdentifierExtension) {
    fields.subjectKeyId = ext.keyId.toLowerCase();
  } else if (ext instanceof x509.CRLDistributionPointsExtension) {
    fields.crlDistributionPoints = ext.distributionPoints.flatMap((dp) =>
      (dp.distributionPoint?.fullName ?? []).flatMap((n) =>
        n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : [],
      ),
    );
  } else if (ext instanceof x509.AuthorityInfoAccessExtension) {
    fields.ocspUrls = urlsOf(ext.ocsp);
    fields.caIssuersUrls = urlsOf(ext.caIssuers);
  } else if (ext instanceof x509.CertificatePolicyExtension) {
    fields.certificatePolicies = [...ext.policies];
  }
}

function urlsOf(names: x509.GeneralName[]): string[] {
  return names.filter((n) => n.type === "url").map((n) => n.value);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
