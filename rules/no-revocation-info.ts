import type { CertificateRule } from "../src/engine/rule.js";
import { isInUse } from "../src/inventory/inventory.js";

export const noRevocationInfo: CertificateRule = {
  meta: {
    id: "no-revocation-info",
    title: "Certificate without revocation information",
    category: "reliability",
    severity: "medium",
    rationale:
      "A certificate with neither a CRL distribution point nor an OCSP responder cannot be revoked in practice: if its key leaks, relying parties have no way to learn it.",
    remediation: "Configure the issuing CA to include a CDP and/or an OCSP URL in every certificate it issues, and re-issue this one.",
    references: ["RFC 5280 §4.2.1.13, §4.2.2.1", "CA/Browser Forum Baseline Requirements §7.1.2.11.2"],
  },
  scope: "certificate",
  // Roots (self-signed) are trusted directly and are not revoked through CRLs or OCSP.
  appliesTo: (c) => isInUse(c) && !c.isAnchor && !c.record.selfIssued,
  check: (c) =>
    c.record.crlDistributionPoints.length === 0 && c.record.ocspUrls.length === 0
      ? { message: "neither a CRL distribution point nor an OCSP URL", evidence: { issuer: c.record.issuer } }
      : null,
};
