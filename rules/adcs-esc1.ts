import { allowsAuthentication } from "../src/inventory/adcs/facts.js";
import { REFERENCES, authenticationTrigger, templateRule } from "./adcs-support.js";

export const adcsEsc1 = templateRule(
  {
    id: "adcs-esc1",
    title: "AD CS ESC1: enrollee supplies the subject of an authentication certificate",
    category: "security",
    severity: "critical",
    rationale:
      "The template lets the requester write any subject or subjectAltName into a certificate that authenticates to Active Directory, and any domain user can enroll without approval: a request naming a domain admin yields a certificate that logs on as that admin (PKINIT or Schannel). This is a direct path from any account to domain compromise.",
    remediation:
      "Clear CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT (build the subject from Active Directory), or require CA manager approval, or restrict Enroll to the accounts that need it. If the enrollee must supply the subject, remove the authentication EKUs.",
    references: [REFERENCES.certifiedPreOwned, REFERENCES.crtd, REFERENCES.locksmith],
  },
  (t) =>
    t.enrolleeSuppliesSubject && allowsAuthentication(t)
      ? {
          message: "enrollee supplies the subject of a certificate that authenticates",
          trigger: ["CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT", ...authenticationTrigger(t)],
        }
      : null,
);
