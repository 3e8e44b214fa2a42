import { REFERENCES, templateRule } from "./adcs-support.js";

export const adcsEsc15 = templateRule(
  {
    id: "adcs-esc15",
    title: "AD CS ESC15: schema version 1 template with enrollee-supplied subject",
    category: "security",
    severity: "high",
    rationale:
      "Unpatched CAs copy application policies from the request into certificates issued from schema version 1 templates (EKUwu, CVE-2024-49019). With an enrollee-supplied subject, a domain user can add Client Authentication or Certificate Request Agent and impersonate anyone, whatever EKUs the template lists.",
    remediation:
      "Install the November 2024 security update on every CA, and replace the version 1 template with a duplicated (version 2 or later) one that builds the subject from Active Directory; or restrict Enroll to the accounts that need it.",
    references: [REFERENCES.esc15, REFERENCES.crtd],
  },
  (t) =>
    t.template.schemaVersion === 1 && t.enrolleeSuppliesSubject
      ? {
          message: "schema version 1 with enrollee-supplied subject",
          trigger: ["msPKI-Template-Schema-Version 1", "CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT"],
          evidence: { caPatchLevel: "not assessed (CA host)" },
        }
      : null,
);
