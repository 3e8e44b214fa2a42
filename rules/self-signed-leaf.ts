import type { CertificateRule } from "../src/engine/rule.js";

export const selfSignedLeaf: CertificateRule = {
  meta: {
    id: "self-signed-leaf",
    title: "Self-signed end-entity certificate in service",
    category: "policy-governance",
    severity: "medium",
    rationale:
      "A self-signed leaf is outside any CA's control: it cannot be revoked, clients must trust it one by one, and it marks a service deployed outside the PKI.",
    remediation: "Replace it with a certificate from a sanctioned CA, and bring the service under certificate management.",
    references: ["Keyfactor PKI maturity model: Efficiency and Agility level 0"],
  },
  scope: "certificate",
  // A server's own certificate (position 0) even when marked CA:TRUE, as `openssl req -x509` does by default.
  appliesTo: (c) => c.leafAt.length > 0 || (!c.record.isCA && c.endpoints.length > 0),
  check: (c) =>
    c.path?.selfSigned && !c.isAnchor
      ? { message: `self-signed certificate "${c.record.subject}" served`, evidence: { subject: c.record.subject, endpoints: c.endpoints } }
      : null,
};
