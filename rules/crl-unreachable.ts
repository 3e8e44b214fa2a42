import type { InventoryRule } from "../src/engine/rule.js";
import { endpointsServing } from "../src/inventory/revocation-facts.js";

export const crlUnreachable: InventoryRule = {
  meta: {
    id: "crl-unreachable",
    title: "CRL distribution point fails",
    category: "reliability",
    severity: "high",
    rationale:
      "Clients that require revocation checking fail closed when the CRL named in a certificate cannot be fetched or read: a broken CDP is a system-wide outage waiting for the first strict client.",
    remediation: "Publish a valid CRL at the URL (or re-issue the certificates with a CDP that works), and monitor every CDP URL.",
    references: ["RFC 5280 §4.2.1.13", "Keyfactor PKI maturity model: Reliability level 0"],
  },
  scope: "inventory",
  examines: (inv) => inv.crls.filter((c) => c.source !== "file" && c.skipped === null).length,
  evaluate: (inv) =>
    inv.crls
      .filter((c) => c.error !== null && c.source !== "file")
      .map((c) => ({
        message: `CRL at ${c.url} could not be used: ${c.error}`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { error: c.error, httpStatus: c.httpStatus, latencyMs: c.latencyMs, certificates: c.certificates },
      })),
};
