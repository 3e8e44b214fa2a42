import { REFERENCES, templateRule } from "./adcs-support.js";

const MIN_RSA_BITS = 2048;

export const adcsWeakTemplateKey = templateRule(
  {
    id: "adcs-weak-template-key",
    title: "AD CS template allows RSA keys below 2048 bits",
    category: "security",
    severity: "medium",
    rationale:
      "msPKI-Minimal-Key-Size is the smallest key the CA accepts for the template. Below 2048 bits, RSA keys are under current minimum strength, and every certificate enrolled from it may carry one.",
    remediation: "Set msPKI-Minimal-Key-Size to 2048 or more (3072 for long-lived certificates), then re-enroll the certificates issued with smaller keys.",
    references: ["NIST SP 800-131A Rev. 2", REFERENCES.crtd],
  },
  (t) =>
    t.template.keyAlgorithm === "RSA" && t.template.minimalKeySize !== null && t.template.minimalKeySize < MIN_RSA_BITS
      ? {
          message: `accepts RSA keys of ${t.template.minimalKeySize} bits (minimum ${MIN_RSA_BITS})`,
          trigger: [`msPKI-Minimal-Key-Size ${t.template.minimalKeySize}`],
          evidence: { keyAlgorithm: t.template.keyAlgorithm, minimalKeySize: t.template.minimalKeySize },
        }
      : null,
);
