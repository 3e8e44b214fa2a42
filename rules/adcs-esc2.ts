import { REFERENCES, templateRule } from "./adcs-support.js";

export const adcsEsc2 = templateRule(
  {
    id: "adcs-esc2",
    title: "AD CS ESC2: any-purpose or no-EKU certificate open to low-privileged enrollment",
    category: "security",
    severity: "high",
    rationale:
      "A certificate with the Any Purpose EKU, or with no EKU at all, is valid for every use: client authentication, code signing, and acting as an enrollment agent for other users (ESC3). A subordinate CA certificate without EKU can even sign new certificates. Any domain user can obtain one from this template.",
    remediation: "Give the template only the EKUs its consumers need, or restrict Enroll to the accounts that need it, or require CA manager approval.",
    references: [REFERENCES.certifiedPreOwned, REFERENCES.crtd, REFERENCES.locksmith],
  },
  (t) =>
    t.anyPurpose || t.noEku
      ? {
          message: `issues ${t.noEku ? "certificates without EKU" : "Any Purpose certificates"}`,
          trigger: [t.noEku ? "no EKU" : "EKU anyPurpose"],
        }
      : null,
);
