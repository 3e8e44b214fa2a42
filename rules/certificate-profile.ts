// Profile defects: none stops a relying party by itself (those that do are invalid-chain's), but
// each shows how a CA is configured, and together they measure a CA's issuance quality. One
// finding per certificate lists every defect found, so a badly configured template reads as one
// problem with several reasons, not as a dozen findings.
import type { CertificateRule } from "../src/engine/rule.js";
import { type CertificateFacts, type InventoryView, isInUse, isTrustStoreRoot } from "../src/inventory/inventory.js";
import type { CertificateProfile } from "../src/model/types.js";

/** RFC 5280 §4.1.2.2: conforming CAs use serial numbers of at most 20 octets. */
const MAX_SERIAL_OCTETS = 20;

interface Defect {
  reason: string;
  text: string;
}

/** Every certificate of the view that issued another: any path link after the first. */
const issuersByView = new WeakMap<InventoryView, ReadonlySet<string>>();

function issuersOf(view: InventoryView): ReadonlySet<string> {
  let issuers = issuersByView.get(view);
  if (!issuers) {
    issuers = new Set(view.certificates.flatMap((c) => (c.path?.trustedPath ?? c.path?.partialPath ?? []).slice(1)));
    issuersByView.set(view, issuers);
  }
  return issuers;
}

/**
 * EKUs the web PKI forbids in this CA certificate: any at all in a root (BR §7.1.2.1.2); in a
 * subordinate, anyExtendedKeyUsage and OCSPSigning (which would make it an OCSP responder for
 * its issuer), and beside serverAuth the purposes a TLS CA must not also serve (BR §7.1.2.10.6).
 */
function forbiddenEkus(eku: readonly string[], root: boolean): string[] {
  if (root) return [...eku];
  const forbidden = ["anyExtendedKeyUsage", "OCSPSigning", ...(eku.includes("serverAuth") ? ["codeSigning", "emailProtection", "timeStamping"] : [])];
  return eku.filter((purpose) => forbidden.includes(purpose));
}

function defectsOf(c: CertificateFacts, profile: CertificateProfile, view: InventoryView): Defect[] {
  const r = c.record;
  const selfSigned = c.path?.selfSigned ?? r.selfIssued;
  const critical = (name: string) => profile.criticalExtensions.includes(name);
  const defects: Defect[] = [];
  const add = (reason: string, text: string) => defects.push({ reason, text });

  if (profile.serialSign === "zero") add("serial-zero", "serial number zero (RFC 5280 §4.1.2.2: a positive integer)");
  if (profile.serialSign === "negative") add("serial-negative", "negative serial number (RFC 5280 §4.1.2.2: a positive integer)");
  if (profile.serialBytes > MAX_SERIAL_OCTETS) {
    add("serial-too-long", `serial number of ${profile.serialBytes} octets (RFC 5280 §4.1.2.2: at most ${MAX_SERIAL_OCTETS})`);
  }
  if (profile.emptyIssuer) add("empty-issuer", "empty issuer name (RFC 5280 §4.1.2.4)");
  if (profile.emptySubject && !(r.hasSanExtension && critical("subjectAltName"))) {
    add("empty-subject-without-critical-san", r.hasSanExtension
      ? "empty subject with a non-critical subjectAltName (RFC 5280 §4.2.1.6)"
      : "empty subject and no subjectAltName: it names no one (RFC 5280 §4.2.1.6)");
  }
  if (profile.version < 3) {
    // No extensions can say a v1 or v2 certificate may issue: a relying party must know it out of band.
    if (issuersOf(view).has(c.sha256)) add("v1-ca", `version ${profile.version} certificate used as a CA (RFC 5280 §6.1.4 (k); BR §7.1.2.1.1: version 3)`);
    return defects;
  }
  if (profile.duplicateExtensions.length > 0) {
    add("duplicate-extensions", `extension${profile.duplicateExtensions.length > 1 ? "s" : ""} ${profile.duplicateExtensions.join(", ")} more than once (RFC 5280 §4.2)`);
  }
  if (r.authorityKeyId === null && !selfSigned) add("aki-missing", "no authority key identifier (RFC 5280 §4.2.1.1)");
  if (critical("authorityKeyIdentifier")) add("aki-critical", "authority key identifier marked critical (RFC 5280 §4.2.1.1)");
  if (r.subjectKeyId === null && r.isCA) add("ski-missing", "CA certificate without a subject key identifier (RFC 5280 §4.2.1.2)");
  if (critical("subjectKeyIdentifier")) add("ski-critical", "subject key identifier marked critical (RFC 5280 §4.2.1.2)");
  if (!r.isCA && r.keyUsage.includes("keyCertSign")) add("leaf-key-cert-sign", "keyCertSign without CA:TRUE (RFC 5280 §4.2.1.3, §4.2.1.9)");
  // A CA:TRUE certificate an endpoint serves as its own (`openssl req -x509` marks them so) is a
  // server certificate whose EKU says what the server is for.
  if (r.isCA && c.leafAt.length === 0) {
    const forbidden = forbiddenEkus(r.extendedKeyUsage, selfSigned);
    if (forbidden.length > 0) {
      add("ca-forbidden-eku", selfSigned
        ? `root CA certificate with extended key usages ${forbidden.join(", ")} (BR §7.1.2.1.2: none)`
        : `CA certificate with extended key usages ${forbidden.join(", ")} (BR §7.1.2.10.6, §7.1.2.3.3)`);
    }
  }
  return defects;
}

export const certificateProfile: CertificateRule = {
  meta: {
    id: "certificate-profile",
    title: "Certificate profile defects",
    // Governance, not security: each defect is a CA template or configuration out of line with
    // RFC 5280 and the Baseline Requirements; none gives an attacker a key or a name.
    category: "policy-governance",
    severity: "low",
    rationale:
      "Serial numbers that are zero, negative or longer than 20 octets, missing or critical key identifiers, empty names without a critical subjectAltName, repeated extensions, version 1 CA certificates, keyCertSign on a leaf and EKUs a CA must not carry are each tolerated by some clients and refused by others: they break path building and revocation matching in strict ones, and they show a CA whose profiles nobody reviews.",
    remediation:
      "Fix the CA's certificate template or profile (serial generation, key identifier extensions, basic constraints, key usage, EKUs) and re-issue the certificates it produced; lint new profiles before use (zlint, pkilint).",
    references: [
      "RFC 5280 §4.1.2.2, §4.1.2.4, §4.2, §4.2.1.1, §4.2.1.2, §4.2.1.3, §4.2.1.6, §4.2.1.9, §6.1.4 (k)",
      "CA/Browser Forum Baseline Requirements v2.2 §7.1.2.1.1, §7.1.2.1.2, §7.1.2.3.3, §7.1.2.10.6",
    ],
  },
  scope: "certificate",
  // Records from parser version 3 and earlier carry no profile: unknown, so not examined.
  appliesTo: (c, inv) => c.record.profile !== undefined && isInUse(c) && !isTrustStoreRoot(c, inv),
  check: (c, inv) => {
    const defects = defectsOf(c, c.record.profile!, inv);
    if (defects.length === 0) return null;
    return {
      message: `certificate profile: ${defects.map((d) => d.text).join("; ")}`,
      evidence: { reasons: defects.map((d) => d.reason), details: defects.map((d) => d.text) },
    };
  },
};
