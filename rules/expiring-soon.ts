import { type CertificateRule, threshold } from "../src/engine/rule.js";
import { daysUntilExpiry, isExpired, isInUse, validityDays } from "../src/inventory/inventory.js";
import { EXPIRY_DAYS } from "./thresholds.js";

/** ACME clients renew when a third of the lifetime is left (Let's Encrypt's guidance): until then a short-lived certificate is on schedule. */
const LIFETIME_THIRDS = 3;

export const expiringSoon: CertificateRule = {
  meta: {
    id: "expiring-soon",
    title: "Certificate expiring soon",
    category: "reliability",
    severity: "medium",
    rationale:
      "A certificate inside its renewal window that has not been replaced is the most common cause of certificate outages. The window is the expiry threshold, or the last third of the certificate's lifetime if that is shorter: automated renewal replaces a 45-day certificate with 15 days left, so one with 17 days left is on schedule, not late.",
    remediation: "Renew and deploy the replacement before the date shown; set --expiry-days to your renewal lead time (it bounds the window: certificates valid less than three times it keep the last third of their lifetime).",
    references: ["Keyfactor PKI maturity model: Reliability level 1", "Let's Encrypt Integration Guide: renew when a third of the lifetime is left"],
    thresholds: [EXPIRY_DAYS],
  },
  scope: "certificate",
  appliesTo: (c, inv) => isInUse(c) && !c.isAnchor && !isExpired(c, inv.now),
  check: (c, inv) => {
    const days = daysUntilExpiry(c, inv.now);
    const lifetime = validityDays(c);
    const thresholdDays = threshold(inv, "expiryDays");
    const windowDays = Math.min(thresholdDays, lifetime / LIFETIME_THIRDS);
    if (days > windowDays) return null;
    const why = windowDays < thresholdDays ? `a third of its ${Math.round(lifetime)}-day lifetime` : `threshold ${thresholdDays}`;
    return {
      severity: days <= 7 ? "high" : "medium",
      message: `expires ${c.record.notAfter} (in ${Math.floor(days)} days; renewal window ${Math.floor(windowDays)} days, ${why})`,
      evidence: {
        notAfter: c.record.notAfter, daysLeft: Math.floor(days), validityDays: Math.round(lifetime),
        windowDays: Math.floor(windowDays), thresholdDays,
      },
    };
  },
};
