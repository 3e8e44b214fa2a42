// The CBOM: a CycloneDX 1.6 JSON document of the run's cryptographic assets, the crypto-asset
// inventory a post-quantum migration starts from. One `cryptographic-asset` component per
// certificate, per distinct public key (by SPKI hash) and per algorithm (by OID and parameters),
// linked certificate → key → key algorithm and certificate → signature algorithm, with the
// endpoints and files each certificate was seen at. Built from the report model alone.
//
// Written as a typed plain object rather than through @cyclonedx/cyclonedx-library's models: they
// have no cryptoProperties, so its serializer would drop the very part this document is for. The
// tests validate every document with the library's strict JSON schema validator for 1.6.
import { createHash } from "node:crypto";
import { extname } from "node:path";
import { PUBLIC_KEY_ALGORITHMS } from "../pki/oids.js";
import { SIGNATURE_ALGORITHMS } from "../pki/signatures.js";
import { PKISCOPE_VERSION } from "../version.js";
import type { KeyAlgorithm } from "../model/types.js";
import type { Report, ReportCertificate } from "./report-model.js";

export const CBOM_SPEC_VERSION = "1.6";

interface Property {
  name: string;
  value: string;
}

type Primitive = "signature" | "pke" | "unknown";

interface AlgorithmProperties {
  primitive: Primitive;
  parameterSetIdentifier?: string;
  curve?: string;
  executionEnvironment: "unknown";
  certificationLevel: readonly ["unknown"];
  cryptoFunctions: ("sign" | "verify" | "encrypt" | "decrypt" | "unknown")[];
  classicalSecurityLevel?: number;
  nistQuantumSecurityLevel?: number;
}

type CryptoProperties =
  | { assetType: "algorithm"; algorithmProperties: AlgorithmProperties; oid?: string }
  | {
    assetType: "certificate";
    certificateProperties: {
      subjectName: string; issuerName: string; notValidBefore: string; notValidAfter: string;
      signatureAlgorithmRef: string; subjectPublicKeyRef: string; certificateFormat: "X.509"; certificateExtension?: string;
    };
  }
  | {
    assetType: "related-crypto-material";
    relatedCryptoMaterialProperties: { type: "public-key"; id: string; algorithmRef: string; size?: number; format: string };
  };

export interface CbomComponent {
  type: "cryptographic-asset";
  "bom-ref": string;
  name: string;
  hashes?: { alg: "SHA-256"; content: string }[];
  cryptoProperties: CryptoProperties;
  evidence?: { occurrences: { location: string; additionalContext: string }[] };
  properties?: Property[];
}

export interface Cbom {
  $schema: string;
  bomFormat: "CycloneDX";
  specVersion: typeof CBOM_SPEC_VERSION;
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: "application"; name: "pkiscope"; version: string }[] };
    properties: Property[];
  };
  components: CbomComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

/** Signature algorithm name (as certificates are reported) → OID; the first OID of a name wins (sha1WithRSAEncryption has an old alias). */
const SIGNATURE_OIDS: ReadonlyMap<string, string> = new Map(
  Object.entries(SIGNATURE_ALGORITHMS).reverse().map(([oid, info]) => [info.name, oid]),
);
const KEY_OIDS: ReadonlyMap<string, string> = new Map(Object.entries(PUBLIC_KEY_ALGORITHMS).reverse().map(([oid, name]) => [name, oid]));
const DOTTED_OID = /^\d+(\.\d+)+$/;

/** pkiscope's curve names → the names CycloneDX recommends (the std-curves catalogue) and their OIDs. */
const CURVES: Readonly<Record<string, { name: string; oid: string }>> = {
  "P-192": { name: "nist/P-192", oid: "1.2.840.10045.3.1.1" },
  "P-224": { name: "nist/P-224", oid: "1.3.132.0.33" },
  "P-256": { name: "nist/P-256", oid: "1.2.840.10045.3.1.7" },
  "P-384": { name: "nist/P-384", oid: "1.3.132.0.34" },
  "P-521": { name: "nist/P-521", oid: "1.3.132.0.35" },
  secp256k1: { name: "secg/secp256k1", oid: "1.3.132.0.10" },
  brainpoolP256r1: { name: "brainpool/brainpoolP256r1", oid: "1.3.36.3.3.2.8.1.1.7" },
  brainpoolP384r1: { name: "brainpool/brainpoolP384r1", oid: "1.3.36.3.3.2.8.1.1.11" },
  brainpoolP512r1: { name: "brainpool/brainpoolP512r1", oid: "1.3.36.3.3.2.8.1.1.13" },
};

/** NIST SP 800-57 Part 1 Table 2: bits of classical security of an RSA or DSA modulus, by size. */
const FACTORING_STRENGTH: readonly [bits: number, strength: number][] = [[15360, 256], [7680, 192], [3072, 128], [2048, 112], [1024, 80]];

function classicalStrength(algorithm: KeyAlgorithm, size: number | null): number | undefined {
  if (size === null) return undefined;
  switch (algorithm) {
    case "RSA":
    case "DSA":
      return FACTORING_STRENGTH.find(([bits]) => size >= bits)?.[1];
    case "EC":
      return Math.floor(size / 2);
    case "Ed25519":
      return 128;
    case "Ed448":
      return 224;
    default:
      return undefined;
  }
}

// Everything pkiscope finds in certificates today is classical (RSA, DSA, ECDSA, EdDSA): Shor's
// algorithm breaks all of it, so it meets none of NIST's post-quantum categories (level 0). An
// algorithm pkiscope cannot name gets no level rather than a guess.
const CLASSICAL = 0;

// Where and how the keys are held (HSM, certified module) is not visible from a scan: both are
// "unknown", never "none", which would claim there is no certified implementation.
const UNSEEN = { executionEnvironment: "unknown", certificationLevel: ["unknown"] } as const;

function algorithmComponent(ref: string, name: string, properties: Omit<AlgorithmProperties, keyof typeof UNSEEN>, oid: string | undefined): CbomComponent {
  return {
    type: "cryptographic-asset", "bom-ref": ref, name,
    cryptoProperties: { assetType: "algorithm", algorithmProperties: { ...properties, ...UNSEEN }, ...(oid ? { oid } : {}) },
  };
}

function signatureAlgorithm(name: string): CbomComponent {
  const oid = SIGNATURE_OIDS.get(name) ?? (DOTTED_OID.test(name) ? name : undefined);
  const known = oid !== undefined && SIGNATURE_ALGORITHMS[oid] !== undefined;
  return algorithmComponent(
    `crypto/algorithm/${oid ?? name}`, name,
    known ? { primitive: "signature", cryptoFunctions: ["sign", "verify"], nistQuantumSecurityLevel: CLASSICAL } : { primitive: "unknown", cryptoFunctions: ["unknown"] },
    oid,
  );
}

const KEY_PRIMITIVES: Readonly<Record<KeyAlgorithm, Pick<AlgorithmProperties, "primitive" | "cryptoFunctions">>> = {
  RSA: { primitive: "pke", cryptoFunctions: ["sign", "verify", "encrypt", "decrypt"] },
  EC: { primitive: "signature", cryptoFunctions: ["sign", "verify"] },
  DSA: { primitive: "signature", cryptoFunctions: ["sign", "verify"] },
  Ed25519: { primitive: "signature", cryptoFunctions: ["sign", "verify"] },
  Ed448: { primitive: "signature", cryptoFunctions: ["sign", "verify"] },
  unknown: { primitive: "unknown", cryptoFunctions: ["unknown"] },
};

/** The algorithm of a certificate's key with its parameters: RSA-2048 and RSA-1024 are two assets, as are P-256 and P-384. */
function keyAlgorithm(c: ReportCertificate): CbomComponent {
  const oid = KEY_OIDS.get(c.keyAlgorithm);
  const curve = c.curve === null ? undefined : CURVES[c.curve];
  // EdDSA keys have one size: their OID says it all (and is the EdDSA signature algorithm's too).
  const fixedSize = c.keyAlgorithm === "Ed25519" || c.keyAlgorithm === "Ed448";
  const parameter = fixedSize ? null : c.curve ?? (c.keySize === null ? null : String(c.keySize));
  const name = c.keyAlgorithm === "unknown" ? "unknown public key algorithm" : parameter === null ? c.keyAlgorithm : `${c.keyAlgorithm}-${parameter}`;
  const strength = classicalStrength(c.keyAlgorithm, c.keySize);
  return algorithmComponent(
    `crypto/algorithm/${oid ?? "unknown"}${parameter === null ? "" : `/${curve?.oid ?? parameter}`}`, name,
    {
      ...KEY_PRIMITIVES[c.keyAlgorithm],
      ...(c.curve !== null ? { curve: curve?.name ?? c.curve } : parameter !== null ? { parameterSetIdentifier: parameter } : {}),
      ...(strength === undefined ? {} : { classicalSecurityLevel: strength }),
      ...(c.keyAlgorithm === "unknown" ? {} : { nistQuantumSecurityLevel: CLASSICAL }),
    },
    oid,
  );
}

const keyRefOf = (c: ReportCertificate): string => `crypto/key/spki-sha256:${c.spkiSha256}`;

function publicKey(c: ReportCertificate, algorithmRef: string, algorithmName: string): CbomComponent {
  return {
    type: "cryptographic-asset", "bom-ref": keyRefOf(c), name: `${algorithmName} public key`,
    cryptoProperties: {
      assetType: "related-crypto-material",
      relatedCryptoMaterialProperties: {
        type: "public-key", id: `spki-sha256:${c.spkiSha256}`, algorithmRef,
        ...(c.keySize === null ? {} : { size: c.keySize }), format: "SubjectPublicKeyInfo",
      },
    },
  };
}

const CERTIFICATE_FILE_EXTENSIONS: ReadonlySet<string> = new Set(["pem", "crt", "cer", "cert", "der", "p7b", "p7c", "p12", "pfx", "jks", "keystore"]);

function certificateComponent(c: ReportCertificate, signatureRef: string, keyRef: string): CbomComponent {
  const occurrences = [
    ...c.endpoints.map((location) => ({ location, additionalContext: "served over TLS by this endpoint" })),
    ...c.files.map((location) => ({ location, additionalContext: "read from this file" })),
  ];
  // The extension of a file it was found in (a location in a bundle ends in #index), when it is a
  // certificate file's: not the ".0" of a hashed link; none for a certificate only served or fetched.
  const fileExtension = c.files.map((f) => extname(f).slice(1).split("#")[0]!.toLowerCase()).find((e) => CERTIFICATE_FILE_EXTENSIONS.has(e));
  const properties: Property[] = [
    { name: "pkiscope:certificate:serialNumber", value: c.serialNumber },
    { name: "pkiscope:certificate:isCA", value: String(c.isCA) },
    { name: "pkiscope:certificate:sanctioned", value: String(c.trustedPath !== null) },
    ...c.sources.map((value) => ({ name: "pkiscope:certificate:source", value })),
    ...c.sans.map((value) => ({ name: "pkiscope:certificate:san", value })),
    ...(c.owner === null ? [] : [{ name: "pkiscope:owner", value: c.owner }]),
  ];
  return {
    type: "cryptographic-asset", "bom-ref": `crypto/certificate/sha256:${c.sha256}`,
    name: c.subject === "" ? `certificate ${c.sha256.slice(0, 16)}` : c.subject,
    hashes: [{ alg: "SHA-256", content: c.sha256 }],
    cryptoProperties: {
      assetType: "certificate",
      certificateProperties: {
        subjectName: c.subject, issuerName: c.issuer, notValidBefore: c.notBefore, notValidAfter: c.notAfter,
        signatureAlgorithmRef: signatureRef, subjectPublicKeyRef: keyRef, certificateFormat: "X.509",
        ...(fileExtension ? { certificateExtension: fileExtension } : {}),
      },
    },
    ...(occurrences.length > 0 ? { evidence: { occurrences } } : {}),
    properties,
  };
}

/** A name-based UUID (RFC 9562 version 8, from SHA-256): the same run and analysis always give the same serial number, a re-judged one another. */
function serialNumberOf(report: Report): string {
  const hex = createHash("sha256").update(`pkiscope cbom\n${report.scan.id}\n${report.analysis.analysedAt}\n${report.analysis.validationTime}`).digest("hex").slice(0, 32).split("");
  hex[12] = "8";
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function buildCbom(report: Report): Cbom {
  const certificates: CbomComponent[] = [];
  const keys = new Map<string, CbomComponent>();
  const algorithms = new Map<string, CbomComponent>();
  const dependsOn = new Map<string, Set<string>>();
  const link = (from: string, to: string): void => {
    let set = dependsOn.get(from);
    if (!set) dependsOn.set(from, (set = new Set()));
    set.add(to);
  };
  const addAlgorithm = (component: CbomComponent): string => {
    if (!algorithms.has(component["bom-ref"])) algorithms.set(component["bom-ref"], component);
    return component["bom-ref"];
  };

  for (const c of report.inventory.certificates) {
    // Equal SPKI hashes are one key, described (algorithm included) by its first certificate.
    const keyRef = keyRefOf(c);
    if (!keys.has(keyRef)) {
      const algorithm = keyAlgorithm(c);
      keys.set(keyRef, publicKey(c, addAlgorithm(algorithm), algorithm.name));
      link(keyRef, algorithm["bom-ref"]);
    }
    const signatureRef = addAlgorithm(signatureAlgorithm(c.signatureAlgorithm));
    const certificate = certificateComponent(c, signatureRef, keyRef);
    certificates.push(certificate);
    link(certificate["bom-ref"], keyRef);
    link(certificate["bom-ref"], signatureRef);
  }
  const components = [...certificates, ...keys.values(), ...algorithms.values()];

  return {
    $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
    bomFormat: "CycloneDX",
    specVersion: CBOM_SPEC_VERSION,
    serialNumber: serialNumberOf(report),
    version: 1,
    metadata: {
      timestamp: report.scan.startedAt,
      tools: { components: [{ type: "application", name: "pkiscope", version: PKISCOPE_VERSION }] },
      properties: [
        { name: "pkiscope:run:id", value: report.scan.id },
        { name: "pkiscope:run:complete", value: String(report.scan.complete) },
        { name: "pkiscope:analysis:pkiscopeVersion", value: report.analysis.pkiscopeVersion },
        { name: "pkiscope:analysis:validationTime", value: report.analysis.validationTime },
      ],
    },
    components,
    dependencies: components.map((component) => {
      const refs = dependsOn.get(component["bom-ref"]);
      return refs ? { ref: component["bom-ref"], dependsOn: [...refs] } : { ref: component["bom-ref"] };
    }),
  };
}

export function renderCbom(report: Report): string {
  return `${JSON.stringify(buildCbom(report), null, 2)}\n`;
}
