import type { CertificateRule } from "../src/engine/rule.js";
import { isTlsServerCertificate } from "../src/inventory/inventory.js";

export const missingSan: CertificateRule = {
  meta: {
    id: "missing-san",
    title: "TLS server certificate without subjectAltName",
    category: "reliability",
    severity: "medium",
    rationale: "Modern clients match host names only against subjectAltName and ignore the common name, so such a certificate fails validation.",
    remediation: "Re-issue with every served host name (and IP address, if used) in subjectAltName.",
    references: ["RFC 6125 §6.4.4", "RFC 9525", "CA/Browser Forum Baseline Requirements §7.1.2.7.12"],
  },
  scope: "certificate",
  appliesTo: (c) => isTlsServerCertificate(c),
  check: (c) =>
    c.record.hasSanExtension
      ? null
      : { message: "no subjectAltName extension", evidence: { subject: c.record.subject } },
};
