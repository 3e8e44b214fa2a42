import type { CertificateIssue, CertificateRule } from "../src/engine/rule.js";
import type { CertificateRecord } from "../src/model/types.js";

const MIN_RSA_BITS = 2048;
const MIN_EC_BITS = 256;

/** Why a key is weak, or null. Factorable keys are critical: the private key can be computed. */
export function keyWeakness(r: CertificateRecord): CertificateIssue | null {
  const key = { keyAlgorithm: r.keyAlgorithm, keySize: r.keySize, curve: r.curve };
  if (r.rsaWeakness?.roca) {
    return {
      severity: "critical",
      message: `RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be computed`,
      evidence: { ...key, weakness: "roca" },
    };
  }
  if (r.rsaWeakness?.fermatFactored) {
    return {
      severity: "critical",
      message: `RSA key factored by Fermat's method: its primes are too close together`,
      evidence: { ...key, weakness: "fermat", fermat: r.rsaWeakness.fermat },
    };
  }
  switch (r.keyAlgorithm) {
    case "RSA":
      if (r.keySize !== null && r.keySize < MIN_RSA_BITS) {
        return {
          severity: r.keySize < 1024 ? "critical" : "high",
          message: `RSA key of ${r.keySize} bits (minimum ${MIN_RSA_BITS})`,
          evidence: { ...key, weakness: "rsa-too-small" },
        };
      }
      return null;
    case "EC":
      if (r.curve === null) {
        return { message: "EC key without a named curve (explicit or unknown parameters)", evidence: { ...key, weakness: "ec-unnamed-curve" } };
      }
      if (r.keySize !== null && r.keySize < MIN_EC_BITS) {
        return { message: `EC key on ${r.curve} (${r.keySize} bits, minimum P-256)`, evidence: { ...key, weakness: "ec-too-small" } };
      }
      return null;
    case "DSA": {
      const size = r.keyParametersInherited ? "parameters inherited from the issuer" : r.keySize === null ? "size unknown" : `${r.keySize} bits`;
      return { message: `DSA key (${size}): DSA is deprecated for certificates`, evidence: { ...key, weakness: "dsa" } };
    }
    default:
      return null;
  }
}

export const weakKey: CertificateRule = {
  meta: {
    id: "weak-key",
    title: "Weak public key",
    category: "security",
    severity: "high",
    rationale:
      "A key below current strength, or one generated with a known flaw (ROCA, primes close enough for Fermat factorisation), lets an attacker impersonate the holder or, for a CA, issue certificates. Common TLS scanners check key size but not the ROCA fingerprint or Fermat factorability.",
    remediation:
      "Re-key and re-issue with RSA 2048 bits or more, or ECDSA on P-256 or P-384. For ROCA keys, update the key-generating firmware (Infineon RSALib) first; for Fermat-factorable keys, replace the key generator.",
    references: [
      "NIST SP 800-131A Rev. 2",
      "CVE-2017-15361 (ROCA); Nemec et al., The Return of Coppersmith's Attack, CCS 2017",
      "Böck, Fermat Factorization in the Wild, 2023",
      "CA/Browser Forum Baseline Requirements §6.1.5",
    ],
  },
  scope: "certificate",
  appliesTo: () => true,
  check: (c) => keyWeakness(c.record),
};
