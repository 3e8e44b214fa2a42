import type { CertificateRule } from "../src/engine/rule.js";
import { daysUntilExpiry, isExpired, isInUse, isTrustStoreRoot } from "../src/inventory/inventory.js";

export const expired: CertificateRule = {
  meta: {
    id: "expired",
    title: "Expired certificate in use",
    category: "reliability",
    severity: "high",
    rationale: "Clients reject an expired certificate: the service is down for every client that validates, and users learn to click through warnings. A self-signed CA certificate that no endpoint serves as its leaf and no enterprise CA issues with is a root in a trust store (a file, NTAuth) or a chain: expired there it validates nothing and takes no service down (trust stores routinely keep expired roots), so it is exempt.",
    remediation: "Renew and deploy a replacement now; automate renewal (ACME, auto-enrolment) and monitor expiry so it cannot recur.",
    references: ["RFC 5280 §4.1.2.5", "Keyfactor PKI maturity model: Reliability level 0"],
  },
  scope: "certificate",
  appliesTo: (c, inv) => isInUse(c) && !c.isAnchor && !isTrustStoreRoot(c, inv),
  check: (c, inv) =>
    isExpired(c, inv.now)
      ? {
          message: `expired ${c.record.notAfter} (${Math.floor(-daysUntilExpiry(c, inv.now))} days ago)`,
          evidence: { notAfter: c.record.notAfter, daysAgo: Math.floor(-daysUntilExpiry(c, inv.now)) },
        }
      : null,
};
