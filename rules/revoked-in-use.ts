import type { InventoryRule } from "../src/engine/rule.js";
import { label } from "../src/inventory/inventory.js";
import { answered, readCrls } from "../src/inventory/revocation-facts.js";

export const revokedInUse: InventoryRule = {
  meta: {
    id: "revoked-in-use",
    title: "Revoked certificate still in service",
    category: "security",
    severity: "critical",
    rationale:
      "A certificate is revoked because its key or its use is no longer trusted. A server still presenting it is either compromised or was never updated, and clients that check revocation will refuse it.",
    remediation: "Replace the certificate on every endpoint listed, and find out why the revocation was not followed by a re-deployment.",
    references: ["RFC 5280 §5.3.1", "RFC 6960 §2.2"],
  },
  scope: "inventory",
  examines: (inv) => (readCrls(inv).length + answered(inv).length > 0 ? inv.certificates.filter((c) => c.endpoints.length > 0).length : 0),
  evaluate: (inv) => {
    const sources = new Map<string, { url: string | null; via: string; revocationDate: string | null; reason: string | null }[]>();
    const add = (certificate: string, entry: { url: string | null; via: string; revocationDate: string | null; reason: string | null }): void => {
      sources.set(certificate, [...(sources.get(certificate) ?? []), entry]);
    };
    for (const crl of inv.crls) {
      for (const r of crl.revoked) add(r.certificate, { url: crl.url, via: "crl", revocationDate: r.revocationDate, reason: r.reason });
    }
    for (const o of inv.ocsp) {
      // Only an answer the CA signed, or a responder it authorised: a rogue responder's own signature verifies too.
      if (o.certStatus === "revoked" && o.signatureValid && (o.signer === "issuer" || o.signer === "delegated")) {
        add(o.certificate, { url: o.url, via: o.source === "staple" ? "ocsp-staple" : "ocsp", revocationDate: o.revocationTime, reason: o.revocationReason });
      }
    }
    return [...sources.entries()].flatMap(([certificate, evidence]) => {
      const c = inv.bySha.get(certificate);
      if (!c || c.endpoints.length === 0) return [];
      const first = evidence[0]!;
      return [{
        message: `"${label(c)}" is revoked (${first.reason ?? "no reason given"}, ${first.revocationDate ?? "date unknown"}) but still served`,
        certificate,
        endpoints: c.endpoints,
        url: null,
        evidence: { serialNumber: c.record.serialNumber, revokedBy: evidence },
      }];
    });
  },
};
