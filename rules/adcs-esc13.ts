import { allowsAuthentication } from "../src/inventory/adcs/facts.js";
import { REFERENCES, authenticationTrigger, templateRule } from "./adcs-support.js";

export const adcsEsc13 = templateRule(
  {
    id: "adcs-esc13",
    title: "AD CS ESC13: issuance policy linked to a group on an enrollable authentication template",
    category: "security",
    severity: "high",
    rationale:
      "An issuance policy with msDS-OIDToGroupLink makes Active Directory add the linked group to the token of whoever authenticates with a certificate carrying that policy. Any domain user who can enroll in this template gets that group's rights without being a member of it.",
    remediation:
      "Restrict Enroll on the template to the members the linked group is meant for, require CA manager approval, or remove the issuance policy or its group link.",
    references: [REFERENCES.esc13, REFERENCES.crtd],
  },
  (t) =>
    t.issuancePolicyGroupLinks.length > 0 && allowsAuthentication(t)
      ? {
          message: `its issuance policy grants membership of ${t.issuancePolicyGroupLinks.map((l) => l.group).join(", ")}`,
          trigger: ["msDS-OIDToGroupLink", ...authenticationTrigger(t)],
          evidence: { issuancePolicyGroupLinks: t.issuancePolicyGroupLinks },
        }
      : null,
);
