import type { CertificateRule } from "../src/engine/rule.js";

/** Hashes with practical collision attacks; MD2, MD4 and MD5 are critical, SHA-1 high. */
const WEAK_HASHES: Readonly<Record<string, "critical" | "high">> = { md2: "critical", md4: "critical", md5: "critical", sha1: "high" };

export const weakSignature: CertificateRule = {
  meta: {
    id: "weak-signature",
    title: "Weak signature algorithm",
    category: "security",
    severity: "high",
    rationale:
      "Collisions in MD5 and SHA-1 let an attacker obtain a CA signature on one certificate and transplant it onto another (the 2008 rogue CA, SHAttered). A self-signature is never verified by a relying party (a root is trusted as a key, not for its signature), so trust anchors and self-signed certificates are exempt, as zlint and the CA/Browser Forum exempt them.",
    remediation: "Re-issue the certificate with a SHA-256 (or stronger) signature, and stop the issuing CA from signing with MD5 or SHA-1.",
    references: ["RFC 6151", "RFC 9155", "CA/Browser Forum Baseline Requirements §7.1.3.2", "Stevens et al., SHAttered, 2017", "zlint e_sub_cert_or_sub_ca_using_sha1"],
  },
  scope: "certificate",
  // Every signature someone relies on: not an anchor's, not a verified self-signature.
  appliesTo: (c) => !c.isAnchor && !c.path?.selfSigned,
  check: (c) => {
    const severity = c.record.signatureHash === null ? undefined : WEAK_HASHES[c.record.signatureHash];
    if (!severity) return null;
    return {
      severity,
      message: `signed with ${c.record.signatureAlgorithm}`,
      evidence: { signatureAlgorithm: c.record.signatureAlgorithm, hash: c.record.signatureHash },
    };
  },
};
