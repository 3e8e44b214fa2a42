import type { CertificateRule } from "../src/engine/rule.js";
import { isInUse } from "../src/inventory/inventory.js";

export const untrustedIssuer: CertificateRule = {
  meta: {
    id: "untrusted-issuer",
    title: "No path to a sanctioned trust anchor",
    category: "policy-governance",
    severity: "high",
    rationale:
      "A certificate that does not chain to a sanctioned root was issued by a rogue or shadow CA (or by a CA nobody told the PKI owner about): it escapes policy, revocation and inventory, and clients either fail or were configured to trust it ad hoc.",
    remediation:
      "Re-issue from a sanctioned CA, or, if the issuing CA is legitimate, bring it under governance and add its root to the sanctioned trust anchors (--trust-anchors).",
    references: ["RFC 5280 §6", "Keyfactor PKI maturity model: Policy & Governance levels 0-2"],
  },
  scope: "certificate",
  // Served self-signed leaves have their own rule; anchors are trusted by definition.
  appliesTo: (c) => isInUse(c) && !c.record.isCA && !c.isAnchor && !(c.path?.selfSigned && c.endpoints.length > 0),
  check: (c, inv) => {
    if (!c.path || c.path.trustedPath) return null;
    const topId = c.path.partialPath[c.path.partialPath.length - 1] ?? c.sha256;
    const top = inv.bySha.get(topId);
    const topSubject = top?.record.subject ?? topId;
    const topKind = top?.path?.selfSigned ? "self-signed root" : "certificate";
    return {
      // The stop reason says why: issuer not found, or found but its key does not verify the signature.
      message: `no path to a sanctioned trust anchor; the path ends at ${topKind} "${topSubject}"${c.path.stopReason ? `: ${c.path.stopReason}` : ""}`,
      evidence: {
        top: { sha256: topId, subject: topSubject, selfSigned: top?.path?.selfSigned ?? false },
        partialPath: c.path.partialPath,
        stopReason: c.path.stopReason,
      },
    };
  },
};
