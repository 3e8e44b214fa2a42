import { REFERENCES, templateRule } from "./adcs-support.js";

export const adcsEsc3 = templateRule(
  {
    id: "adcs-esc3",
    title: "AD CS ESC3: enrollment agent certificate open to low-privileged enrollment",
    category: "security",
    severity: "high",
    rationale:
      "A Certificate Request Agent certificate lets its holder request certificates on behalf of other users. Unless enrollment agent restrictions are configured on the CA, a domain user who obtains one can enroll as any user, a domain admin included, in any template that accepts agent signatures.",
    remediation:
      "Restrict Enroll on the template to the designated enrollment agents, require CA manager approval, and configure enrollment agent restrictions on each CA (certsrv.msc, Enrollment Agents tab).",
    references: [REFERENCES.certifiedPreOwned, REFERENCES.crtd, REFERENCES.locksmith],
  },
  (t) =>
    t.requestAgent
      ? {
          message: "issues Certificate Request Agent certificates",
          trigger: ["EKU certificateRequestAgent"],
          evidence: { agentRestrictions: "not assessed (CA registry)" },
        }
      : null,
);
