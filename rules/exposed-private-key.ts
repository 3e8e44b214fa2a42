import type { InventoryRule } from "../src/engine/rule.js";

const ACCESS_TEXT: Record<string, string> = {
  plaintext: "unencrypted",
  "empty-password": "protected only by the empty password",
  "default-password": 'protected only by Java\'s default password "changeit"',
};

export const exposedPrivateKey: InventoryRule = {
  meta: {
    id: "exposed-private-key",
    title: "Private key readable in a scanned file",
    category: "security",
    severity: "high",
    rationale:
      "Whoever can read the file holds the key: they can impersonate the certificate's subject, decrypt what was encrypted to it and, for a CA key, issue certificates every relying party trusts. The Keyfactor model's level 0 reads \"root key material is left unprotected on a flash drive or local drive\".",
    remediation:
      "Move CA keys into an HSM (or at least an offline, encrypted store with dual control) and re-key if copies may have spread; protect other keys with a strong password or a key store the service reads, restrict the file's permissions, and revoke and replace certificates whose key was exposed.",
    references: [
      "Keyfactor PKI maturity model, security level 0",
      "NIST SP 800-57 Part 1 Rev. 5 §6.2.2 (protection of private keys)",
      "CA/Browser Forum Baseline Requirements §6.2 (private key protection)",
    ],
  },
  scope: "inventory",
  examines: (inv) => inv.privateKeys.length,
  evaluate: (inv) =>
    inv.privateKeys.filter((k) => k.exposed).map((k) => {
      const where = k.entry ? `${k.file} (${k.entry})` : k.file;
      const what = [k.keyAlgorithm, k.curve ?? (k.keySize ? String(k.keySize) : null)].filter(Boolean).join(" ");
      const matched = k.matchedCertificates.map((id) => inv.bySha.get(id)!);
      const subjects = matched.map((c) => c.record.subject);
      const belongs = k.matchesCa
        ? `; it is the key of CA certificate ${subjects.filter((_, i) => matched[i]!.record.isCA).map((s) => `"${s}"`).join(", ")}`
        : subjects.length > 0 ? `; it is the key of ${subjects.map((s) => `"${s}"`).join(", ")}` : "; no certificate of the run has its public key";
      return {
        message: `${what} private key ${ACCESS_TEXT[k.access]} in ${where}${belongs}`,
        certificate: k.matchedCertificates[0] ?? null,
        endpoints: [...new Set(matched.flatMap((c) => c.endpoints))],
        url: null,
        subjectKey: `${k.file}|${k.entry ?? ""}`,
        severity: k.matchesCa ? "critical" : "high",
        evidence: {
          file: k.file, entry: k.entry, container: k.container, format: k.format, access: k.access,
          keyAlgorithm: k.keyAlgorithm, keySize: k.keySize, curve: k.curve, spkiSha256: k.spkiSha256,
          certificates: k.matchedCertificates, matchesCa: k.matchesCa,
        },
      };
    }),
};
