import { type InventoryRule, threshold } from "../src/engine/rule.js";
import { SLOW_MS } from "./thresholds.js";
import { endpointsServing, ocspByUrl, queriedResponders } from "../src/inventory/revocation-facts.js";

export const ocspSlow: InventoryRule = {
  meta: {
    id: "ocsp-slow",
    title: "Slow OCSP responder",
    category: "reliability",
    severity: "low",
    rationale: "Clients query OCSP on the connection path: a slow responder delays connections, and browsers give up and soft-fail.",
    remediation: "Scale the responder, pre-generate responses, put it behind a cache or CDN, and staple responses on servers.",
    references: ["RFC 5019", "Keyfactor PKI maturity model: Reliability level 3"],
    thresholds: [SLOW_MS],
  },
  scope: "inventory",
  examines: queriedResponders,
  evaluate: (inv) =>
    [...ocspByUrl(inv).entries()].flatMap(([url, checks]) => {
      const answered = checks.filter((o) => o.error === null && o.skipped === null);
      const slowest = Math.max(0, ...answered.map((o) => o.latencyMs));
      if (slowest <= threshold(inv, "slowMs")) return [];
      const certificates = answered.map((o) => o.certificate);
      return [{
        message: `OCSP responder ${url} took up to ${slowest} ms (threshold ${threshold(inv, "slowMs")} ms)`,
        certificate: null,
        endpoints: endpointsServing(inv, certificates),
        url,
        evidence: { latenciesMs: answered.map((o) => o.latencyMs), thresholdMs: threshold(inv, "slowMs") },
      }];
    }),
};
