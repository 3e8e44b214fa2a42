// The rule registry: one line per rule. Ids must be unique (checked at load and in tests).
import type { Rule, ThresholdSpec } from "../src/engine/rule.js";
import { ADCS_RULES } from "./adcs-rules.js";
import { certificateProfile } from "./certificate-profile.js";
import { expired } from "./expired.js";
import { expiringSoon } from "./expiring-soon.js";
import { exposedPrivateKey } from "./exposed-private-key.js";
import { incompleteChain } from "./incomplete-chain.js";
import { invalidChain } from "./invalid-chain.js";
import { keyReuse } from "./key-reuse.js";
import { longValidity } from "./long-validity.js";
import { missingSan } from "./missing-san.js";
import { nameMismatch } from "./name-mismatch.js";
import { legacyProtocol } from "./legacy-protocol.js";
import { selfSignedLeaf } from "./self-signed-leaf.js";
import { untrustedIssuer } from "./untrusted-issuer.js";
import { weakKey } from "./weak-key.js";
import { weakSignature } from "./weak-signature.js";
import { crlBadSignature } from "./crl-bad-signature.js";
import { crlExpiring } from "./crl-expiring.js";
import { crlSlow } from "./crl-slow.js";
import { crlStale } from "./crl-stale.js";
import { crlUnreachable } from "./crl-unreachable.js";
import { noRevocationInfo } from "./no-revocation-info.js";
import { ocspBadResponse } from "./ocsp-bad-response.js";
import { ocspSlow } from "./ocsp-slow.js";
import { ocspUnreachable } from "./ocsp-unreachable.js";
import { revokedInUse } from "./revoked-in-use.js";

export const RULES: readonly Rule[] = [
  weakKey,
  weakSignature,
  expired,
  expiringSoon,
  longValidity,
  missingSan,
  nameMismatch,
  legacyProtocol,
  selfSignedLeaf,
  untrustedIssuer,
  invalidChain,
  incompleteChain,
  keyReuse,
  exposedPrivateKey,
  revokedInUse,
  crlStale,
  crlExpiring,
  crlUnreachable,
  crlBadSignature,
  ocspUnreachable,
  ocspBadResponse,
  ocspSlow,
  crlSlow,
  noRevocationInfo,
  certificateProfile,
  ...ADCS_RULES,
];

const seen = new Set<string>();
for (const rule of RULES) {
  if (seen.has(rule.meta.id)) throw new Error(`duplicate rule id ${rule.meta.id}`);
  seen.add(rule.meta.id);
}

/** Every threshold the rules declare, once per key (rules sharing one must agree on it). */
export function ruleThresholds(rules: readonly Rule[] = RULES): ThresholdSpec[] {
  const byKey = new Map<string, ThresholdSpec>();
  for (const spec of rules.flatMap((r) => r.meta.thresholds ?? [])) {
    const known = byKey.get(spec.key);
    if (known && (known.default !== spec.default || known.option !== spec.option)) {
      throw new Error(`rules disagree on threshold ${spec.key}`);
    }
    byKey.set(spec.key, spec);
  }
  return [...byKey.values()];
}
