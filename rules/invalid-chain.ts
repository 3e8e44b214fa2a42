import type { CertificateRule } from "../src/engine/rule.js";
import { type CertificateFacts, isInUse } from "../src/inventory/inventory.js";
import type { PathValidationFailure } from "../src/model/types.js";

/**
 * Failures other rules report: the certificate's own expiry (`expired`), and a revoked
 * certificate anywhere on the path (`revoked-in-use` names every certificate in use that
 * depends on it).
 */
const reportedElsewhere = (c: CertificateFacts, f: PathValidationFailure): boolean =>
  f.check === "revocation" || (f.certificate === c.sha256 && f.check === "expired");

export const invalidChain: CertificateRule = {
  meta: {
    id: "invalid-chain",
    title: "Path to a sanctioned anchor that relying parties reject",
    category: "security",
    severity: "high",
    rationale:
      "Names chaining and signatures verifying is not what a TLS client, a VPN gateway or Windows checks: they run RFC 5280 path validation, and refuse a path through a sub-CA without the CA bit or keyCertSign, a leaf issued beyond a pathLenConstraint or outside a name constraint, an expired or revoked intermediate, an unknown critical extension. Such a certificate works nowhere it is validated, or works only where validation is lax, which is an outage or an audit finding waiting.",
    remediation:
      "Re-issue from a CA whose certificate allows it (CA bit, keyCertSign, path length, name constraints), replace expired or revoked intermediates, and drop critical extensions relying parties cannot process. Policy processing (RFC 5280 §6.1.3 d–f) is not checked.",
    references: ["RFC 5280 §6.1", "Keyfactor PKI maturity model: Security"],
  },
  scope: "certificate",
  // Anchors are trusted by definition; certificates without a trusted path are untrusted-issuer's.
  appliesTo: (c) => isInUse(c) && !c.isAnchor && !!c.path?.trustedPath && !!c.path.validation,
  check: (c, inv) => {
    const failures = (c.path?.validation?.failures ?? []).filter((f) => !reportedElsewhere(c, f));
    const first = failures[0];
    if (!first) return null;
    const at = inv.bySha.get(first.certificate)?.record.subject ?? first.certificate;
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
    return {
      message: `relying parties reject this path: ${first.check} fails at "${at}" (${first.section}): ${first.detail}${more}`,
      evidence: { failures, trustedPath: c.path!.trustedPath },
    };
  },
};
