import type { CertificateRule } from "../src/engine/rule.js";
import { isTlsServerCertificate, validityDays } from "../src/inventory/inventory.js";

const MAX_DAYS = 398;

export const longValidity: CertificateRule = {
  meta: {
    id: "long-validity",
    title: "TLS server certificate valid too long",
    category: "efficiency",
    severity: "low",
    rationale:
      "Long-lived certificates mean rare, manual renewals and slow recovery when keys or algorithms must change. Browsers reject publicly-trusted server certificates valid over 398 days, and the limit keeps shrinking.",
    remediation: "Issue server certificates for 398 days or less (90 days or less with automation).",
    references: ["CA/Browser Forum Baseline Requirements §6.3.2", "Keyfactor PKI maturity model: Efficiency level 2"],
  },
  scope: "certificate",
  appliesTo: (c) => isTlsServerCertificate(c),
  check: (c) => {
    const days = validityDays(c);
    if (days <= MAX_DAYS) return null;
    return {
      message: `valid for ${Math.round(days)} days (more than ${MAX_DAYS})`,
      evidence: { notBefore: c.record.notBefore, notAfter: c.record.notAfter, validityDays: Math.round(days), maxDays: MAX_DAYS },
    };
  },
};
