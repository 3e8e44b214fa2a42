import { type InventoryRule, threshold } from "../src/engine/rule.js";
import { endpointsServing, hoursUntil, readCrls } from "../src/inventory/revocation-facts.js";
import { CRL_EXPIRY_HOURS } from "./thresholds.js";

export const crlExpiring: InventoryRule = {
  meta: {
    id: "crl-expiring",
    title: "CRL close to its nextUpdate",
    category: "reliability",
    severity: "medium",
    rationale:
      "A CRL within hours of nextUpdate with no newer one published is the warning before the outage: if publishing has stopped, it goes stale at the time shown.",
    remediation: "Check that the CA publishes a new CRL before nextUpdate (overlap period), and that the new CRL reaches this URL.",
    references: ["RFC 5280 §5.1.2.5"],
    thresholds: [CRL_EXPIRY_HOURS],
  },
  scope: "inventory",
  examines: (inv) => readCrls(inv).length,
  evaluate: (inv) =>
    readCrls(inv)
      .filter((c) => {
        const hours = c.crl.nextUpdate === null ? Infinity : hoursUntil(c.crl.nextUpdate, inv.now);
        return hours >= 0 && hours <= threshold(inv, "crlExpiryHours");
      })
      .map((c) => ({
        message: `CRL of "${c.crl.issuer}" at ${c.url} expires ${c.crl.nextUpdate} (in ${Math.floor(hoursUntil(c.crl.nextUpdate!, inv.now))} hours, threshold ${threshold(inv, "crlExpiryHours")})`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { thisUpdate: c.crl.thisUpdate, nextUpdate: c.crl.nextUpdate, thresholdHours: threshold(inv, "crlExpiryHours") },
      })),
};
