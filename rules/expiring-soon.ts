import { type CertificateRule, threshold } from "../src/engine/rule.js";
import { daysUntilExpiry, isExpired, isInUse } from "../src/inventory/inventory.js";

export const expiringSoon: CertificateRule = {
  meta: {
    id: "expiring-soon",
    title: "Certificate expiring soon",
    category: "reliability",
    severity: "medium",
    rationale: "A certificate inside the renewal window that has not been replaced is the most common cause of certificate outages.",
    remediation: "Renew and deploy the replacement before the date shown; set the threshold with --expiry-days to match your renewal lead time.",
    references: ["Keyfactor PKI maturity model: Reliability level 1"],
    thresholds: [{ key: "expiryDays", default: 30, option: "--expiry-days", description: "expiring-soon threshold in days" }],
  },
  scope: "certificate",
  appliesTo: (c, inv) => isInUse(c) && !c.isAnchor && !isExpired(c, inv.now),
  check: (c, inv) => {
    const days = daysUntilExpiry(c, inv.now);
    if (days > threshold(inv, "expiryDays")) return null;
    return {
      severity: days <= 7 ? "high" : "medium",
      message: `expires ${c.record.notAfter} (in ${Math.floor(days)} days, threshold ${threshold(inv, "expiryDays")})`,
      evidence: { notAfter: c.record.notAfter, daysLeft: Math.floor(days), thresholdDays: threshold(inv, "expiryDays") },
    };
  },
};
