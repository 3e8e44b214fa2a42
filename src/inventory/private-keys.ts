// Private keys as rules and reports see them: each key found in a scanned file with the
// certificates of the run it belongs to (the same public key, or the certificates its keystore
// pairs it with) and whether whoever reads the file can use it.
import { EXPOSED_ACCESS, type PrivateKeyRecord } from "../model/keys.js";
import type { CertificateFacts } from "./inventory.js";

export interface PrivateKeyFacts extends PrivateKeyRecord {
  /** sha256 of the run's certificates for this key, by public key or keystore pairing, sorted. */
  matchedCertificates: string[];
  /** Readable without a secret: unencrypted, or under the empty or a default password. */
  exposed: boolean;
  /** One of the matched certificates is a CA certificate. */
  matchesCa: boolean;
}

export function privateKeyFacts(records: readonly PrivateKeyRecord[], certificates: readonly CertificateFacts[]): PrivateKeyFacts[] {
  const bySpki = new Map<string, CertificateFacts[]>();
  for (const c of certificates) bySpki.set(c.record.spkiSha256, [...(bySpki.get(c.record.spkiSha256) ?? []), c]);
  const bySha = new Map(certificates.map((c) => [c.sha256, c]));
  return records.map((key) => {
    const matched = new Map<string, CertificateFacts>();
    for (const c of key.spkiSha256 ? bySpki.get(key.spkiSha256) ?? [] : []) matched.set(c.sha256, c);
    for (const id of key.pairedCertificates) {
      const c = bySha.get(id);
      // A keystore's pairing stands only where the key could not be read: a read key matches by its public key.
      if (c && (key.spkiSha256 === null || c.record.spkiSha256 === key.spkiSha256)) matched.set(id, c);
    }
    return {
      ...key,
      matchedCertificates: [...matched.keys()].sort(),
      exposed: EXPOSED_ACCESS.includes(key.access),
      matchesCa: [...matched.values()].some((c) => c.record.isCA),
    };
  });
}
