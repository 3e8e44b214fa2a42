import type { InventoryRule } from "../src/engine/rule.js";
import type { CertificateFacts } from "../src/inventory/inventory.js";

export const keyReuse: InventoryRule = {
  meta: {
    id: "key-reuse",
    title: "One key pair in certificates for different subjects",
    category: "security",
    severity: "high",
    rationale:
      "A key shared between subjects (copied images, appliances, templates) means one compromise exposes every holder, and revoking one certificate does not retire the key.",
    remediation: "Generate a fresh key pair for each subject and re-issue; find how the key was copied (golden images, shared configuration).",
    references: ["NIST SP 800-57 Part 1 Rev. 5 §5.2", "Heninger et al., Mining Your Ps and Qs, 2012"],
  },
  scope: "inventory",
  examines: (inv) => inv.certificates.length,
  evaluate: (inv) => {
    const byKey = new Map<string, CertificateFacts[]>();
    for (const c of inv.certificates) {
      const list = byKey.get(c.record.spkiSha256);
      if (list) list.push(c);
      else byKey.set(c.record.spkiSha256, [c]);
    }
    return [...byKey.entries()].flatMap(([spki, certs]) => {
      const subjects = [...new Set(certs.map((c) => c.record.subject))];
      if (subjects.length < 2) return [];
      return [{
        message: `one public key in ${certs.length} certificates for ${subjects.length} subjects: ${subjects.map((s) => `"${s}"`).join(", ")}`,
        certificate: null,
        endpoints: [...new Set(certs.flatMap((c) => c.endpoints))],
        url: null,
        subjectKey: spki,
        evidence: { spkiSha256: spki, certificates: certs.map((c) => ({ sha256: c.sha256, subject: c.record.subject })) },
      }];
    });
  },
};
