import type { InventoryRule } from "../src/engine/rule.js";
import { endpointsServing, ocspByUrl, queriedResponders } from "../src/inventory/revocation-facts.js";

export const ocspUnreachable: InventoryRule = {
  meta: {
    id: "ocsp-unreachable",
    title: "OCSP responder fails",
    category: "reliability",
    severity: "high",
    rationale:
      "Clients that require OCSP (must-staple, strict enterprise policies) fail when the responder named in the certificate does not answer; others silently skip revocation checking.",
    remediation: "Restore the responder at this URL (or re-issue with one that works), make it highly available and monitor it.",
    references: ["RFC 6960", "Keyfactor PKI maturity model: Reliability level 2"],
  },
  scope: "inventory",
  examines: queriedResponders,
  evaluate: (inv) =>
    [...ocspByUrl(inv).entries()].flatMap(([url, checks]) => {
      const failed = checks.filter((o) => o.error !== null);
      if (failed.length === 0) return [];
      const certificates = failed.map((o) => o.certificate);
      return [{
        message: `OCSP responder ${url} failed for ${failed.length} of ${checks.length} certificate(s): ${failed[0]!.error}`,
        certificate: null,
        endpoints: endpointsServing(inv, certificates),
        url,
        evidence: { errors: [...new Set(failed.map((o) => o.error))], httpStatus: failed[0]!.httpStatus, certificates },
      }];
    }),
};
