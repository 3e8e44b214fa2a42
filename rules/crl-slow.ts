import type { InventoryRule } from "../src/engine/rule.js";
import { endpointsServing } from "../src/inventory/revocation-facts.js";

export const crlSlow: InventoryRule = {
  meta: {
    id: "crl-slow",
    title: "Slow CRL distribution point",
    category: "reliability",
    severity: "low",
    rationale: "Clients fetch CRLs on the connection path: a slow CDP delays every first connection and times out under load.",
    remediation: "Serve CRLs from a fast, close, highly available location (CDN or load-balanced web servers).",
    references: ["Keyfactor PKI maturity model: Reliability level 3"],
  },
  scope: "inventory",
  evaluate: (inv) =>
    inv.crls
      .filter((c) => c.source !== "file" && c.error === null && c.latencyMs > inv.settings.slowMs)
      .map((c) => ({
        message: `CRL at ${c.url} took ${c.latencyMs} ms (threshold ${inv.settings.slowMs} ms)`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { latencyMs: c.latencyMs, thresholdMs: inv.settings.slowMs, size: c.crl?.size ?? null },
      })),
};
