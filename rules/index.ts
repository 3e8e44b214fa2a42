// The rule registry: one line per rule. Ids must be unique (checked at load and in tests).
import type { Rule } from "../src/engine/rule.js";
import { expired } from "./expired.js";
import { expiringSoon } from "./expiring-soon.js";
import { incompleteChain } from "./incomplete-chain.js";
import { keyReuse } from "./key-reuse.js";
import { longValidity } from "./long-validity.js";
import { missingSan } from "./missing-san.js";
import { selfSignedLeaf } from "./self-signed-leaf.js";
import { untrustedIssuer } from "./untrusted-issuer.js";
import { weakKey } from "./weak-key.js";
import { weakSignature } from "./weak-signature.js";

export const RULES: readonly Rule[] = [
  weakKey,
  weakSignature,
  expired,
  expiringSoon,
  longValidity,
  missingSan,
  selfSignedLeaf,
  untrustedIssuer,
  incompleteChain,
  keyReuse,
];

const seen = new Set<string>();
for (const rule of RULES) {
  if (seen.has(rule.meta.id)) throw new Error(`duplicate rule id ${rule.meta.id}`);
  seen.add(rule.meta.id);
}
