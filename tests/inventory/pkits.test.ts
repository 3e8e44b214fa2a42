// NIST PKITS (../shared/corpora/pkits) through a real `scan --files`: every certificate and CRL
// of the suite in one run, the PKITS root the only sanctioned anchor, nothing fetched. Each
// end-entity certificate is then judged as a relying party would: valid when it has a trusted
// path and none of the findings on it that say a relying party would refuse it: invalid-chain
// (the path fails RFC 5280 validation), untrusted-issuer (no path), revoked-in-use and expired
// (the certificate's own revocation and expiry, which invalid-chain leaves to those rules). The verdicts are compared with NIST's naming convention
// (expected-by-filename.tsv) for the sections pkiscope claims (4.1–4.7, 4.13–4.16); the policy
// sections (4.8–4.12) are printed, not asserted, since policy processing is out of scope.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutcome } from "../../src/engine/scan.js";
import { pkitsCertificate, pkitsExpectations, scanPkits } from "./pkits-scan.js";


/** The findings that mean a relying party would refuse the certificate. */
const REJECTING_RULES = new Set(["invalid-chain", "untrusted-issuer", "revoked-in-use", "expired"]);

/**
 * PKITS test names (as in the file names) by section of the PKITS description, tried in this
 * order so the more specific names win where they overlap ("SelfIssuedinhibitPolicyMapping" is
 * 4.11, not 4.10; "CRLnextUpdate" is 4.4).
 */
const SECTIONS: readonly [section: string, name: RegExp][] = [
  ["4.16", /UnknownNotCriticalCertificateExtension|UnknownCriticalCertificateExtension/],
  ["4.13", /nameConstraints/],
  ["4.14", /distributionPoint|NoissuingDistributionPoint|onlyContains|onlySomeReasons|IDPwithindirectCRL|cRLIssuer/],
  ["4.15", /deltaCRL/],
  ["4.11", /inhibitPolicyMapping/],
  ["4.12", /inhibitAnyPolicy/],
  ["4.9", /requireExplicitPolicy/],
  ["4.10", /PolicyMapping|MappingFromanyPolicy|MappingToanyPolicy/],
  ["4.8", /AllCertificates|DifferentPolicies|OverlappingPolicies|CPSPointerQualifier|UserNoticeQualifier|AnyPolicyTest/],
  ["4.6", /basicConstraints|cAFalse|pathLenConstraint/],
  ["4.7", /keyUsage/],
  ["4.5", /^(Valid|Invalid)BasicSelfIssued/],
  ["4.4", /MissingCRL|RevokedCA|RevokedEE|BadCRL|WrongCRL|TwoCRLs|UnknownCRL|CRLnextUpdate|SerialNumber|SeparateCertificateandCRLKeys/],
  ["4.3", /NameChaining|NameUIDs|RFC3280(Mandatory|Optional)AttributeTypes|UTF8String|RolloverfromPrintableString/],
  ["4.2", /notBeforeDate|notAfterDate/],
  ["4.1", /^(ValidCertificatePath|InvalidCASignature|InvalidEESignature|ValidDSASignatures|ValidDSAParameterInheritance|InvalidDSASignature)Test/],
];
const POLICY_SECTIONS = new Set(["4.8", "4.9", "4.10", "4.11", "4.12"]);

function sectionOf(file: string): string {
  const found = SECTIONS.find(([, name]) => name.test(file));
  if (!found) throw new Error(`no PKITS section for ${file}`);
  return found[0];
}

/**
 * Disagreements with the naming convention that pkiscope accepts, each with why. Any other
 * disagreement fails the test, and so does an accepted one that no longer happens (so this list
 * shrinks as pkiscope learns).
 */
const ACCEPTED: Readonly<Record<string, string>> = {
  "InvalidMissingCRLTest1EE.crt": "no CRL of its issuer was read: pkiscope reports missing revocation information (no-revocation-info, crl-unreachable), it does not call the path invalid",
  "InvalidBadCRLIssuerNameTest5EE.crt": "no CRL of its issuer was read (the only one names another issuer): as for a missing CRL",
  "InvalidWrongCRLTest6EE.crt": "no CRL of its issuer was read (the CA's CRL file is another CA's): as for a missing CRL",
  "InvalidBadCRLSignatureTest4EE.crt": "a CRL whose signature does not verify counts as not read (a forged CRL must never raise a finding on a healthy certificate); crl-bad-signature reports it",
  "InvalidIDPwithindirectCRLTest26EE.crt": "indirect CRL scope: the revocation judgement (src/inventory/revocation.ts, issue 9 item 4) counts the indirect CRL as covering it",
  "InvalidcRLIssuerTest27EE.crt": "indirect CRL scope: the revocation judgement (src/inventory/revocation.ts, issue 9 item 4) counts a CRL as covering it",
};

interface Verdict {
  file: string;
  section: string;
  expected: "Valid" | "Invalid";
  valid: boolean;
  why: string;
}

let dir: string;
let outcome: ScanOutcome;
let verdicts: Verdict[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-pkits-"));
  outcome = await scanPkits(join(dir, "pkits.db"));

  const expected = await pkitsExpectations();
  const rejecting = new Map<string, string[]>();
  for (const f of outcome.conclusions.findings) {
    if (!f.certificate || !REJECTING_RULES.has(f.ruleId)) continue;
    rejecting.set(f.certificate, [...(rejecting.get(f.certificate) ?? []), `${f.ruleId}: ${f.message}`]);
  }
  verdicts = expected.flatMap(([file, expectation]) => {
    if (expectation !== "Valid" && expectation !== "Invalid") return [];
    const facts = pkitsCertificate(outcome, file);
    const reasons = rejecting.get(facts.sha256) ?? [];
    const trusted = facts.path?.trustedPath != null;
    const why = !trusted ? `no trusted path (${facts.path?.stopReason ?? "no path"})` : reasons.join("; ") || "trusted path, no rejecting finding";
    return [{ file, section: sectionOf(file), expected: expectation, valid: trusted && reasons.length === 0, why }];
  });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const agrees = (v: Verdict) => v.valid === (v.expected === "Valid");

function summary(list: readonly Verdict[]): string {
  const bySection = new Map<string, Verdict[]>();
  for (const v of list) bySection.set(v.section, [...(bySection.get(v.section) ?? []), v]);
  return [...bySection.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([s, vs]) => `${s}: ${vs.filter(agrees).length}/${vs.length}`)
    .join(", ");
}

describe("NIST PKITS through scan --files", () => {
  it("judges every end-entity certificate of sections 4.1–4.7 and 4.13–4.16 as the suite expects, but for the accepted disagreements", () => {
    const judged = verdicts.filter((v) => !POLICY_SECTIONS.has(v.section));
    const disagreements = judged.filter((v) => !agrees(v));
    const agreed = judged.length - disagreements.length;
    console.log(`PKITS 4.1–4.7, 4.13–4.16: ${agreed}/${judged.length} agree (${((100 * agreed) / judged.length).toFixed(1)}%); ${summary(judged)}`);
    for (const v of disagreements) console.log(`  ${v.file} (${v.section}, expected ${v.expected}): ${v.why}`);
    expect(judged.length).toBeGreaterThan(150);
    expect(Object.fromEntries(disagreements.map((v) => [v.file, ACCEPTED[v.file] ?? `unexpected: ${v.why}`]))).toEqual(
      Object.fromEntries(Object.entries(ACCEPTED).filter(([file]) => judged.some((v) => v.file === file))),
    );
    expect(agreed / judged.length).toBeGreaterThanOrEqual(0.95);
  });

  it("prints the policy sections' agreement (policy processing is out of scope)", () => {
    const policy = verdicts.filter((v) => POLICY_SECTIONS.has(v.section));
    expect(policy.length).toBeGreaterThan(30);
    console.log(`PKITS policy sections 4.8–4.12 (not asserted): ${policy.filter(agrees).length}/${policy.length} agree; ${summary(policy)}`);
  });

  it("raises invalid-chain on valid-looking paths only: every invalid-chain finding names a check, a certificate of the path and an RFC section", () => {
    const invalid = outcome.conclusions.findings.filter((f) => f.ruleId === "invalid-chain");
    expect(invalid.length).toBeGreaterThan(20);
    for (const f of invalid) {
      const path = outcome.view.bySha.get(f.certificate!)?.path?.trustedPath ?? [];
      const failure = (f.evidence.failures as { check: string; certificate: string; section: string }[])[0]!;
      expect(path).toContain(failure.certificate);
      expect(failure.section).toMatch(/^RFC 5280 §\d/);
      expect(f.message).toContain(failure.check);
    }
  });
});
