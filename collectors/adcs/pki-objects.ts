// Turns the entries under CN=Public Key Services into snapshot objects: classified by object
// class and place, attributes decoded, descriptors parsed. A problem with one object (a bad
// descriptor, a malformed flag word, an oversized value) is recorded against its DN and the
// rest of the object, and every other object, is still kept.
import { X509Certificate } from "node:crypto";
import type {
  AdcsError,
  AdcsSnapshot,
  CdpEntry,
  CertificateRef,
  CertificateTemplate,
  EnrollmentService,
  EnterpriseOid,
  PkiObject,
  PublishedCrl,
} from "../../src/model/adcs.js";
import { parseSecurityDescriptor } from "../../src/pki/security-descriptor.js";
import {
  ENROLLMENT_FLAG,
  NAME_FLAG,
  filetimeIntervalDays,
  flagNames,
  isOid,
  parseInteger32,
  templateKeyAlgorithm,
} from "../../src/inventory/adcs/template-decoding.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import type { LdapEntry } from "./ldap-entry.js";

/** Everything the snapshot needs, requested by name: nTSecurityDescriptor is never part of "*". */
export const PKI_ATTRIBUTES = [
  "objectClass", "cn", "displayName", "flags", "nTSecurityDescriptor",
  "cACertificate", "certificateTemplates", "dNSHostName",
  "certificateRevocationList", "deltaRevocationList",
  "msPKI-Cert-Template-OID", "msDS-OIDToGroupLink",
  "msPKI-Template-Schema-Version", "msPKI-Certificate-Name-Flag", "msPKI-Enrollment-Flag", "msPKI-Private-Key-Flag",
  "msPKI-RA-Signature", "msPKI-RA-Application-Policies", "msPKI-RA-Policies", "msPKI-Minimal-Key-Size",
  "pKIExtendedKeyUsage", "msPKI-Certificate-Application-Policy", "msPKI-Certificate-Policy",
  "pKIExpirationPeriod", "pKIOverlapPeriod",
];

/** Attributes ldapts must hand over as bytes, not as (mangled) UTF-8 text. */
export const BINARY_ATTRIBUTES = [
  "nTSecurityDescriptor", "cACertificate", "certificateRevocationList", "deltaRevocationList",
  "pKIExpirationPeriod", "pKIOverlapPeriod",
];

const CRL_ATTRIBUTES = ["certificateRevocationList", "deltaRevocationList"] as const;

/** AD CS writes a single zero byte where a CRL attribute is mandatory but unused. */
const PLACEHOLDER_MAX_BYTES = 1;

export interface FoundCertificate {
  der: Buffer;
  /** DN of the object it was read from. */
  location: string;
}

/** Adds one entry to the snapshot; returns the CA certificates it carries, for sightings. */
export function addEntry(entry: LdapEntry, publicKeyServicesDn: string, snapshot: AdcsSnapshot): FoundCertificate[] {
  const errors: AdcsError[] = entry.oversized.map((message) => ({ context: entry.dn, message }));
  const object = pkiObject(entry);
  const certificates = entry.buffers("cACertificate").filter((der) => der.length > PLACEHOLDER_MAX_BYTES);
  const refs = certificates.map(certificateRef);
  switch (classify(entry, publicKeyServicesDn)) {
    case "template":
      snapshot.templates.push(template(entry, object, errors));
      break;
    case "enrollment-service":
      snapshot.enrollmentServices.push(enrollmentService(entry, object, refs));
      break;
    case "root-store":
      snapshot.certificationAuthorities.push({ ...object, certificates: refs });
      break;
    case "ntauth":
      snapshot.ntAuth = { ...object, certificates: refs };
      break;
    case "aia":
      snapshot.aia.push({ ...object, certificates: refs });
      break;
    case "cdp":
      snapshot.cdp.push(cdpEntry(entry, object));
      break;
    case "oid":
      snapshot.oids.push(enterpriseOid(entry, object, errors));
      break;
    case "other":
      snapshot.otherObjects.push(object);
      break;
  }
  snapshot.errors.push(...errors);
  return certificates.map((der) => ({ der, location: entry.dn }));
}

type EntryKind = "template" | "enrollment-service" | "root-store" | "ntauth" | "aia" | "cdp" | "oid" | "other";

function classify(entry: LdapEntry, base: string): EntryKind {
  const classes = entry.classes();
  const dn = entry.dn.toLowerCase();
  const parent = parentDn(dn);
  const under = (container: string) => parent === `cn=${container},${base.toLowerCase()}`;
  if (classes.has("pkicertificatetemplate")) return "template";
  if (classes.has("pkienrollmentservice")) return "enrollment-service";
  if (classes.has("crldistributionpoint")) return "cdp";
  // The OID container is itself an msPKI-Enterprise-Oid object.
  if (classes.has("mspki-enterprise-oid") && under("oid")) return "oid";
  if (classes.has("certificationauthority")) {
    if (dn === `cn=ntauthcertificates,${base.toLowerCase()}`) return "ntauth";
    if (under("certification authorities")) return "root-store";
    if (under("aia")) return "aia";
  }
  return "other";
}

/** The DN without its first RDN; commas escaped inside a value do not separate RDNs. */
function parentDn(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === "\\") i++;
    else if (dn[i] === ",") return dn.slice(i + 1);
  }
  return "";
}

function pkiObject(entry: LdapEntry): PkiObject {
  const classes = entry.strings("objectClass");
  return {
    dn: entry.dn,
    name: entry.string("cn") ?? entry.dn,
    objectClass: classes[classes.length - 1] ?? "unknown",
    ...security(entry),
  };
}

/** A descriptor problem stays on its object; the collector sums them up in one error. */
function security(entry: LdapEntry): Pick<PkiObject, "security" | "securityError"> {
  const raw = entry.buffer("nTSecurityDescriptor");
  if (!raw) return { security: null, securityError: "nTSecurityDescriptor was not returned" };
  if (raw.length === 0) {
    return { security: null, securityError: "nTSecurityDescriptor came back empty (no right to read it, or the SD flags control was ignored)" };
  }
  try {
    return { security: parseSecurityDescriptor(raw), securityError: null };
  } catch (err) {
    return { security: null, securityError: `unparsable nTSecurityDescriptor: ${(err as Error).message}` };
  }
}

function certificateRef(der: Buffer): CertificateRef {
  const sha256 = sha256Hex(der);
  try {
    const cert = new X509Certificate(der);
    return { sha256, subject: cert.subject.split("\n").join(", "), notAfter: new Date(cert.validTo).toISOString() };
  } catch {
    // Still a sighting: the inventory records it as unparsable with its location.
    return { sha256, subject: null, notAfter: null };
  }
}

function template(entry: LdapEntry, object: PkiObject, errors: AdcsError[]): CertificateTemplate {
  // Absent flag words mean no flag set; absent sizes and versions stay unknown.
  const word = (attribute: string): number => integer(entry, attribute, errors) ?? 0;
  const optionalWord = (attribute: string): number | null => integer(entry, attribute, errors);
  const raApplicationPolicies = entry.strings("msPKI-RA-Application-Policies");
  const certificateNameFlag = word("msPKI-Certificate-Name-Flag");
  const enrollmentFlag = word("msPKI-Enrollment-Flag");
  return {
    ...object,
    displayName: entry.string("displayName") ?? null,
    oid: entry.string("msPKI-Cert-Template-OID") ?? null,
    schemaVersion: optionalWord("msPKI-Template-Schema-Version"),
    certificateNameFlag,
    nameFlags: flagNames(certificateNameFlag, NAME_FLAG),
    enrollmentFlag,
    enrollmentFlags: flagNames(enrollmentFlag, ENROLLMENT_FLAG),
    privateKeyFlag: word("msPKI-Private-Key-Flag"),
    raSignatures: word("msPKI-RA-Signature"),
    raApplicationPolicies: raApplicationPolicies.filter(isOid),
    raIssuancePolicies: entry.strings("msPKI-RA-Policies").filter(isOid),
    minimalKeySize: optionalWord("msPKI-Minimal-Key-Size"),
    keyAlgorithm: templateKeyAlgorithm(raApplicationPolicies),
    extendedKeyUsage: entry.strings("pKIExtendedKeyUsage"),
    applicationPolicies: entry.strings("msPKI-Certificate-Application-Policy"),
    issuancePolicies: entry.strings("msPKI-Certificate-Policy"),
    validityDays: filetimeIntervalDays(entry.buffer("pKIExpirationPeriod")),
    renewalDays: filetimeIntervalDays(entry.buffer("pKIOverlapPeriod")),
  };
}

function enrollmentService(entry: LdapEntry, object: PkiObject, certificates: CertificateRef[]): EnrollmentService {
  return { ...object, certificates, dnsHostName: entry.string("dNSHostName") ?? null, templates: entry.strings("certificateTemplates") };
}

function cdpEntry(entry: LdapEntry, object: PkiObject): CdpEntry {
  const crls: PublishedCrl[] = CRL_ATTRIBUTES.flatMap((attribute) =>
    entry.buffers(attribute)
      .filter((der) => der.length > PLACEHOLDER_MAX_BYTES)
      .map((der) => ({ attribute, sha256: sha256Hex(der), derBase64: der.toString("base64") })),
  );
  return { ...object, crls };
}

function enterpriseOid(entry: LdapEntry, object: PkiObject, errors: AdcsError[]): EnterpriseOid {
  return {
    ...object,
    displayName: entry.string("displayName") ?? null,
    oid: entry.string("msPKI-Cert-Template-OID") ?? null,
    oidType: integer(entry, "flags", errors),
    groupLink: entry.string("msDS-OIDToGroupLink") ?? null,
  };
}

/** An integer attribute (AD sends them as signed decimal text); a malformed one is recorded. */
function integer(entry: LdapEntry, attribute: string, errors: AdcsError[]): number | null {
  const text = entry.string(attribute);
  const value = parseInteger32(text);
  if (text !== undefined && value === null) errors.push({ context: entry.dn, message: `${attribute} is not an integer` });
  return value;
}
