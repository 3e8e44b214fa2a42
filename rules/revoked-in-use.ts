import type { InventoryRule } from "../src/engine/rule.js";
import { type CertificateFacts, type InventoryView, isInUse, label } from "../src/inventory/inventory.js";
import { answered, readCrls, revocationStatus } from "../src/inventory/revocation-facts.js";

interface RevocationEvidence {
  url: string | null;
  via: string;
  revocationDate: string | null;
  reason: string | null;
}

/** Certificates in use whose path (trusted, or the partial one) runs through each certificate, by its id. */
function dependentsOf(inv: InventoryView): Map<string, CertificateFacts[]> {
  const dependents = new Map<string, CertificateFacts[]>();
  for (const c of inv.certificates) {
    if (!isInUse(c)) continue;
    for (const id of (c.path?.trustedPath ?? c.path?.partialPath ?? []).slice(1)) dependents.set(id, [...(dependents.get(id) ?? []), c]);
  }
  return dependents;
}

export const revokedInUse: InventoryRule = {
  meta: {
    id: "revoked-in-use",
    title: "Revoked certificate still in service",
    category: "security",
    severity: "critical",
    rationale:
      "A certificate is revoked because its key or its use is no longer trusted. A server still presenting it, a store still holding it, or certificates still chaining through a revoked CA are either compromised or were never updated, and clients that check revocation will refuse every path through it.",
    remediation: "Replace the certificate wherever it is listed (and, for a revoked CA, every certificate it issued that is still in use), and find out why the revocation was not followed by a re-deployment.",
    references: ["RFC 5280 §5.3.1", "RFC 5280 §6.3", "RFC 6960 §2.2"],
  },
  scope: "inventory",
  examines: (inv) => (readCrls(inv).length + answered(inv).length > 0 ? inv.certificates.filter(isInUse).length : 0),
  evaluate: (inv) => {
    const sources = new Map<string, RevocationEvidence[]>();
    const add = (certificate: string, entry: RevocationEvidence): void => {
      sources.set(certificate, [...(sources.get(certificate) ?? []), entry]);
    };
    for (const id of new Set(inv.crls.flatMap((crl) => crl.revoked.map((r) => r.certificate)))) {
      // The verdict, not the raw lists: a delta CRL may have taken a certificate off hold.
      for (const r of revocationStatus(inv, id).revocations) add(id, { url: r.url, via: "crl", revocationDate: r.revocationDate, reason: r.reason });
    }
    for (const o of inv.ocsp) {
      // Only an answer the CA signed, or a responder it authorised: a rogue responder's own signature verifies too.
      if (o.certStatus === "revoked" && o.signatureValid && (o.signer === "issuer" || o.signer === "delegated")) {
        add(o.certificate, { url: o.url, via: o.source === "staple" ? "ocsp-staple" : "ocsp", revocationDate: o.revocationTime, reason: o.revocationReason });
      }
    }
    const dependents = dependentsOf(inv);
    return [...sources.entries()].flatMap(([certificate, evidence]) => {
      const c = inv.bySha.get(certificate);
      const below = dependents.get(certificate) ?? [];
      if (!c || (!isInUse(c) && below.length === 0)) return [];
      const first = evidence[0]!;
      const where = c.endpoints.length > 0 ? "but still served" : isInUse(c) ? "but still in use" : "";
      const chained = below.length > 0 ? `${below.length} certificate${below.length === 1 ? "" : "s"} in use chain through it` : "";
      return [{
        message: `"${label(c)}" is revoked (${first.reason ?? "no reason given"}, ${first.revocationDate ?? "date unknown"}) ${[where, chained].filter(Boolean).join(", and ")}`,
        certificate,
        endpoints: [...new Set([...c.endpoints, ...below.flatMap((d) => d.endpoints)])],
        url: null,
        evidence: { serialNumber: c.record.serialNumber, revokedBy: evidence, dependents: below.map((d) => d.sha256) },
      }];
    });
  },
};
