// The AD CS configuration as the LDAP collector read it: plain JSON (stored as a directory
// snapshot), decoded once so the inventory and the rules never see LDAP entries or raw bytes.
// Certificates are referenced by SHA-256; their DER travels as ordinary "ldap" sightings.
// Types, plus the one traversal every reader of a snapshot needs.
import type { SecurityDescriptor } from "../pki/security-descriptor.js";

export const ADCS_SNAPSHOT_VERSION = 1;

export interface AdcsSnapshot {
  version: typeof ADCS_SNAPSHOT_VERSION;
  /** The LDAP URL read (scheme, host, port; never credentials). */
  source: string;
  configurationNamingContext: string | null;
  defaultNamingContext: string | null;
  /** The domain's SID (S-1-5-21-...), to name its groups. */
  domainSid: string | null;
  templates: CertificateTemplate[];
  /** Enterprise CAs (CN=Enrollment Services). */
  enrollmentServices: EnrollmentService[];
  /** The enterprise root store (CN=Certification Authorities). */
  certificationAuthorities: CaStoreEntry[];
  /** CN=NTAuthCertificates: CAs trusted to issue logon certificates; null when absent. */
  ntAuth: CaStoreEntry | null;
  /** CN=AIA: intermediate and cross certificates published for chain building. */
  aia: CaStoreEntry[];
  /** CRL distribution point objects under CN=CDP, with the CRLs published on them. */
  cdp: CdpEntry[];
  /** msPKI-Enterprise-Oid objects under CN=OID (issuance policies and the groups they link). */
  oids: EnterpriseOid[];
  /** Public Key Services itself, the containers below it and any object that is none of the above. */
  otherObjects: PkiObject[];
  /** Every SID seen in a descriptor, with the name it resolved to. */
  principals: Record<string, Principal>;
  /** What could not be read, connected to or decoded; the rest of the snapshot stands. */
  errors: AdcsError[];
  /** The entry limit was reached: objects beyond it were not read. */
  truncated: boolean;
}

export interface AdcsError {
  /** Where: "connect", "bind", "rootDSE", "search", "sid-resolution", or an object's DN. */
  context: string;
  message: string;
}

export interface Principal {
  name: string;
  /** "well-known" (table), "directory" (found by objectSid) or "unresolved" (the SID itself). */
  resolution: "well-known" | "directory" | "unresolved";
}

/** Any object under Public Key Services with its access control. */
export interface PkiObject {
  dn: string;
  name: string;
  /** The most specific objectClass (container, pKIEnrollmentService, ...). */
  objectClass: string;
  /** null when the descriptor was not returned or could not be parsed (see securityError). */
  security: SecurityDescriptor | null;
  securityError: string | null;
}

export interface CertificateRef {
  sha256: string;
  /** From a cheap parse, for messages; null when the DER does not parse. */
  subject: string | null;
  notAfter: string | null;
}

export interface CaStoreEntry extends PkiObject {
  certificates: CertificateRef[];
}

export interface EnrollmentService extends CaStoreEntry {
  dnsHostName: string | null;
  /** Names (cn) of the templates this CA publishes (certificateTemplates). */
  templates: string[];
}

export interface CdpEntry extends PkiObject {
  crls: PublishedCrl[];
}

export interface PublishedCrl {
  attribute: "certificateRevocationList" | "deltaRevocationList";
  sha256: string;
  /** The CRL's DER, base64; the revocation rules read it from the inventory. */
  derBase64: string;
}

export interface EnterpriseOid extends PkiObject {
  displayName: string | null;
  /** msPKI-Cert-Template-OID: the OID this object describes. */
  oid: string | null;
  /** flags: 1 template, 2 issuance policy, 3 application policy ([MS-CRTD] 2.9). */
  oidType: number | null;
  /** msDS-OIDToGroupLink: holders of a certificate with this policy are treated as members. */
  groupLink: string | null;
}

export interface CertificateTemplate extends PkiObject {
  displayName: string | null;
  /** msPKI-Cert-Template-OID. */
  oid: string | null;
  /** msPKI-Template-Schema-Version; version 1 templates ignore most msPKI settings. */
  schemaVersion: number | null;
  /** msPKI-Certificate-Name-Flag, as an unsigned value, and the names of its set bits. */
  certificateNameFlag: number;
  nameFlags: string[];
  /** msPKI-Enrollment-Flag, unsigned, and the names of its set bits. */
  enrollmentFlag: number;
  enrollmentFlags: string[];
  privateKeyFlag: number;
  /** msPKI-RA-Signature: authorised signatures required to issue. */
  raSignatures: number;
  /** OIDs in msPKI-RA-Application-Policies (the algorithm settings of v4 templates are not OIDs). */
  raApplicationPolicies: string[];
  /** msPKI-RA-Policies: issuance policies an agent's certificate must carry. */
  raIssuancePolicies: string[];
  minimalKeySize: number | null;
  /** Key algorithm: v4 templates name it in msPKI-RA-Application-Policies; older ones are RSA. */
  keyAlgorithm: string;
  /** pKIExtendedKeyUsage. */
  extendedKeyUsage: string[];
  /** msPKI-Certificate-Application-Policy (what v2+ templates put in the certificate). */
  applicationPolicies: string[];
  /** msPKI-Certificate-Policy: issuance policy OIDs. */
  issuancePolicies: string[];
  /** pKIExpirationPeriod and pKIOverlapPeriod, in days. */
  validityDays: number | null;
  renewalDays: number | null;
}

/** Every object of a snapshot that carries a descriptor, templates included. */
export function snapshotObjects(snapshot: AdcsSnapshot): PkiObject[] {
  return [
    ...snapshot.templates, ...snapshot.enrollmentServices, ...snapshot.certificationAuthorities, ...snapshot.aia,
    ...snapshot.cdp, ...snapshot.oids, ...snapshot.otherObjects, ...(snapshot.ntAuth ? [snapshot.ntAuth] : []),
  ];
}
