import { allowsAuthentication } from "../src/inventory/adcs/facts.js";
import { REFERENCES, authenticationTrigger, templateRule } from "./adcs-support.js";

export const adcsEsc9 = templateRule(
  {
    id: "adcs-esc9",
    title: "AD CS ESC9: authentication certificate without the SID security extension",
    category: "security",
    severity: "medium",
    rationale:
      "CT_FLAG_NO_SECURITY_EXTENSION keeps the requester's SID (szOID_NTDS_CA_SECURITY_EXT) out of the certificate, so domain controllers fall back to weak mapping by UPN. An attacker with write access to any account's userPrincipalName can point it at a privileged account, enroll, and log on as that account, unless DCs enforce strong certificate binding (StrongCertificateBindingEnforcement = 2, which LDAP cannot show).",
    remediation:
      "Clear CT_FLAG_NO_SECURITY_EXTENSION from msPKI-Enrollment-Flag, and set StrongCertificateBindingEnforcement to 2 (full enforcement) on every domain controller.",
    references: [REFERENCES.esc9, REFERENCES.crtd],
  },
  (t) =>
    t.noSecurityExtension && allowsAuthentication(t)
      ? {
          message: "issues authentication certificates without the SID extension",
          trigger: ["CT_FLAG_NO_SECURITY_EXTENSION", ...authenticationTrigger(t)],
          evidence: { strongCertificateBindingEnforcement: "not assessed (domain controller registry)" },
        }
      : null,
);
