import { type InventoryRule, threshold } from "../src/engine/rule.js";
import { endpointsServing } from "../src/inventory/revocation-facts.js";
import { SLOW_MS } from "./thresholds.js";

export const crlSlow: InventoryRule = {
  meta: {
    id: "crl-slow",
    title: "Slow CRL distribution point",
    category: "reliability",
    severity: "low",
    rationale: "Clients fetch CRLs on the connection path: a slow CDP delays every first connection and times out under load.",
    remediation: "Serve CRLs from a fast, close, highly available location (CDN or load-balanced web servers).",
    references: ["Keyfactor PKI maturity model: Reliability level 3"],
    thresholds: [SLOW_MS],
  },
  scope: "inventory",
  examines: (inv) => inv.crls.filter((c) => c.source !== "file" && c.skipped === null).length,
  evaluate: (inv) =>
    inv.crls
      .filter((c) => c.source !== "file" && c.error === null && c.latencyMs > threshold(inv, "slowMs"))
      .map((c) => ({
        message: `CRL at ${c.url} took ${c.latencyMs} ms (threshold ${threshold(inv, "slowMs")} ms)`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { latencyMs: c.latencyMs, thresholdMs: threshold(inv, "slowMs"), size: c.crl?.size ?? null },
      })),
};
