import type { InventoryRule } from "../src/engine/rule.js";
import { label } from "../src/inventory/inventory.js";
import { answered } from "../src/inventory/revocation-facts.js";
import type { OcspObservation } from "../src/model/revocation.js";

/** Why an OCSP answer that arrived cannot be relied on, or an empty list. */
export function responseProblems(o: OcspObservation): string[] {
  if (o.error !== null || o.skipped !== null) return [];
  const problems = [...o.problems];
  if (o.responseStatus !== "successful") problems.unshift(`response status ${o.responseStatus ?? "missing"}`);
  else if (o.certStatus === null) problems.push("no answer for this certificate");
  return [...new Set(problems)];
}

export const ocspBadResponse: InventoryRule = {
  meta: {
    id: "ocsp-bad-response",
    title: "OCSP response that cannot be trusted",
    category: "reliability",
    severity: "high",
    rationale:
      "An OCSP answer that is unsigned, signed by a certificate the CA did not authorise, malformed or stale is rejected by clients: revocation checking fails for the certificates behind it.",
    remediation: "Fix the responder's signing certificate (issued by the CA, with the OCSP Signing EKU, not expired) and its update schedule; for staples, fix the server's stapling configuration.",
    references: ["RFC 6960 §3.2, §4.2.2.2", "RFC 6066 §8"],
  },
  scope: "inventory",
  examines: (inv) => answered(inv).length,
  evaluate: (inv) =>
    inv.ocsp.flatMap((o) => {
      const problems = responseProblems(o);
      if (problems.length === 0) return [];
      const c = inv.bySha.get(o.certificate);
      const where = o.source === "staple" ? `response stapled by ${o.endpoint}` : `response from ${o.url}`;
      return [{
        message: `${where} for "${c ? label(c) : o.certificate}": ${problems.join("; ")}`,
        certificate: o.certificate,
        endpoints: o.endpoint ? [o.endpoint] : (c?.endpoints ?? []),
        url: o.url,
        subjectKey: o.endpoint ?? "",
        evidence: { source: o.source, responseStatus: o.responseStatus, signer: o.signer, signatureValid: o.signatureValid, thisUpdate: o.thisUpdate, nextUpdate: o.nextUpdate, problems },
      }];
    }),
};
