import type { InventoryRule } from "../src/engine/rule.js";
import { endpointsServing, readCrls } from "../src/inventory/revocation-facts.js";

export const crlBadSignature: InventoryRule = {
  meta: {
    id: "crl-bad-signature",
    title: "CRL not signed by its issuer",
    category: "security",
    severity: "high",
    rationale:
      "A CRL whose signature does not verify with the issuing CA's key is rejected by clients (an outage for strict ones) or, worse, was produced by someone else.",
    remediation: "Re-publish the CRL as signed by the CA; check that the file at the URL is the CA's current CRL and not one from another CA or key.",
    references: ["RFC 5280 §6.3.3"],
  },
  scope: "inventory",
  examines: (inv) => readCrls(inv).length,
  evaluate: (inv) =>
    readCrls(inv)
      .filter((c) => c.signature.status === "invalid")
      .map((c) => ({
        message: `CRL at ${c.url} names "${c.crl.issuer}" as issuer but no certificate of that CA verifies its signature`,
        certificate: null,
        endpoints: endpointsServing(inv, c.certificates),
        url: c.url,
        evidence: { issuer: c.crl.issuer, signatureAlgorithm: c.crl.signatureAlgorithm, certificates: c.certificates },
      })),
};
