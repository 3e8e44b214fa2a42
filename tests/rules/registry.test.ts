// Registry-wide checks: rule ids are the public contract from the issue, metadata is complete,
// and every rule has a fixture in the sample PKI that makes it fire.
import { describe, expect, it } from "vitest";
import { buildSamplePki } from "../../fixtures/sample-pki.js";
import { RULES, ruleThresholds } from "../../rules/index.js";
import { THRESHOLDS } from "../../src/engine/defaults.js";

const CONTRACT_IDS = [
  "weak-key", "weak-signature", "expired", "expiring-soon", "long-validity",
  "missing-san", "self-signed-leaf", "untrusted-issuer", "incomplete-chain", "key-reuse",
  "revoked-in-use", "crl-stale", "crl-expiring", "crl-unreachable", "crl-bad-signature",
  "ocsp-unreachable", "ocsp-bad-response", "no-revocation-info", "ocsp-slow", "crl-slow",
  "certificate-profile",
];
/** AD CS rules fire on the Samba lab (tests/adcs), not on the sample PKI. */
const ADCS_IDS = [
  "adcs-esc1", "adcs-esc2", "adcs-esc3", "adcs-esc4", "adcs-esc5", "adcs-esc9", "adcs-esc13", "adcs-esc15",
  "adcs-ntauth-unsanctioned", "adcs-weak-template-key",
];
/** Fires only on endpoints probed by name; the sample network is swept by address (tests/engine/name-mismatch-scan.test.ts). */
const NAMED_PROBE_IDS = ["name-mismatch"];
/** Fires on TLS 1.0/1.1 endpoints, which the sample network has none of (tests/cli/virtual-hosts-posture.test.ts). */
const POSTURE_IDS = ["legacy-protocol"];
/** Fires on NIST PKITS (tests/inventory/pkits.test.ts) and its rule cases; the sample PKI's chains validate. */
const PATH_VALIDATION_IDS = ["invalid-chain"];
/** Fires on private keys in scanned files, which the sample PKI writes none of (tests/cli/keystores-cli.test.ts). */
const KEY_FILE_IDS = ["exposed-private-key"];
const CATEGORIES = ["reliability", "efficiency", "security", "policy-governance", "agility", "strategy"];
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

describe("thresholds", () => {
  it("are the ones the rules declare, once each, in the rules' order (the CLI takes them as options from rules/thresholds.ts)", () => {
    expect(THRESHOLDS).toEqual(ruleThresholds(RULES));
    expect(THRESHOLDS.map((t) => t.option)).toEqual(["--expiry-days", "--crl-expiry-hours", "--slow-ms"]);
  });
});

describe("rule registry", () => {
  it("holds exactly the contract ids, each once", () => {
    expect(RULES.map((r) => r.meta.id).sort()).toEqual([...CONTRACT_IDS, ...ADCS_IDS, ...NAMED_PROBE_IDS, ...POSTURE_IDS, ...PATH_VALIDATION_IDS, ...KEY_FILE_IDS].sort());
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))("%s has complete metadata", (_id, rule) => {
    const { meta } = rule;
    expect(meta.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(meta.title.length).toBeGreaterThan(5);
    expect(CATEGORIES).toContain(meta.category);
    expect(SEVERITIES).toContain(meta.severity);
    expect(meta.rationale.length).toBeGreaterThan(40);
    expect(meta.remediation.length).toBeGreaterThan(20);
    expect(meta.references.length).toBeGreaterThan(0);
  });

  it("has a sample-PKI fixture expected to trigger every rule", () => {
    const none = "http://127.0.0.1:1";
    const pki = buildSamplePki({ urls: { baseUrl: none, ocspGood: none, ocspRogue: none, ocspSlow: none, ocspDown: none } });
    const covered = new Set([...pki.identities, ...pki.fileOnly].flatMap((i) => i.expectedRules));
    for (const id of CONTRACT_IDS) expect(covered, id).toContain(id);
  });
});
