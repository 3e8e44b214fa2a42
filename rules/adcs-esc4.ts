import { REFERENCES, principalList, templateRule } from "./adcs-support.js";

export const adcsEsc4 = templateRule(
  {
    id: "adcs-esc4",
    title: "AD CS ESC4: low-privileged principals can modify a certificate template",
    category: "security",
    severity: "critical",
    rationale:
      "Whoever can write a template decides what it issues: they can turn on CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT, add the client authentication EKU, grant themselves Enroll and remove approval, making it ESC1, then restore it. Write access held by Domain Users, Domain Computers, Authenticated Users or Everyone is such access for every account. Unpublished templates are reported too (lower severity): publishing one needs write access to a CA object, which ESC5 covers.",
    remediation:
      "Remove GenericAll, GenericWrite, WriteDacl, WriteOwner and WriteProperty from low-privileged principals on the template, and make an administrative group its owner.",
    references: [REFERENCES.certifiedPreOwned, REFERENCES.locksmith],
  },
  (t) => {
    if (t.lowPrivilegedWriters.length === 0) return null;
    const hit = {
      message: `${principalList(t.lowPrivilegedWriters)} can modify it (published by ${t.publishedBy.join(", ") || "no CA"})`,
      trigger: [...new Set(t.lowPrivilegedWriters.flatMap((w) => w.rights))],
      evidence: { lowPrivilegedWriters: t.lowPrivilegedWriters },
    };
    if (t.publishedBy.length > 0) return hit;
    return { ...hit, severity: "high" as const, evidence: { ...hit.evidence, severityReason: "published by no CA" } };
  },
  // Write access makes every other condition attacker-controlled: no enrollment gate.
  { gated: false },
);
