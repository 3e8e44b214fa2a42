import type { InventoryRule } from "../src/engine/rule.js";
import { endpointsServing, hoursUntil, readCrls } from "../src/inventory/revocation-facts.js";

export const crlStale: InventoryRule = {
  meta: {
    id: "crl-stale",
    title: "CRL past its nextUpdate",
    category: "reliability",
    severity: "high",
    rationale:
      "A CRL past nextUpdate is expired: strict clients reject every certificate that names it, and a revocation issued since the last publication is invisible. It usually means the CA's publishing job has stopped.",
    remediation: "Publish a fresh CRL now, then fix and monitor the publishing schedule (CA service, publishing task, file copy to the web server).",
    references: ["RFC 5280 §5.1.2.5", "Keyfactor PKI maturity model: Reliability level 0"],
  },
  scope: "inventory",
  examines: (inv) => readCrls(inv).length,
  evaluate: (inv) =>
    readCrls(inv)
      .filter((c) => c.crl.nextUpdate !== null && hoursUntil(c.crl.nextUpdate, inv.now) < 0)
      .map((c) => ({
        message: `CRL of "${c.crl.issuer}" at ${c.url} expired ${c.crl.nextUpdate} (${Math.floor(-hoursUntil(c.crl.nextUpdate!, inv.now))} hours ago)`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { thisUpdate: c.crl.thisUpdate, nextUpdate: c.crl.nextUpdate, crlNumber: c.crl.crlNumber, certificates: c.certificates },
      })),
};
