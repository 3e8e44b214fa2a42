// Revocation of whole paths, judged on NIST PKITS (../shared/corpora/pkits) through a real
// `scan --files` with every CRL of the suite as --crl-file and the PKITS root as the only anchor:
// for the end-entity certificates of the revocation sections (4.4 basic revocation, 4.14
// distribution points, 4.15 delta CRLs, and the CRL-signing tests of 4.5 and 4.7) a path is
// accepted when every certificate on it but the anchor has revocationStatus "good". The verdicts
// are compared with NIST's naming convention; the disagreements accepted are listed with why.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutcome } from "../../src/engine/scan.js";
import { revocationStatus } from "../../src/inventory/revocation-facts.js";
import { pkitsCertificate, pkitsExpectations, scanPkits } from "./pkits-scan.js";


/** The tests whose verdict turns on revocation (PKITS 4.4, 4.14, 4.15; 4.5.6–8; 4.7.4–5). */
const REVOCATION_TESTS = /MissingCRL|RevokedCA|RevokedEE|BadCRL|WrongCRL|TwoCRLs|UnknownCRL|CRLnextUpdate|SerialNumber|SeparateCertificateandCRLKeys|distributionPoint|onlyContains|onlySomeReasons|IDPwithindirectCRL|cRLIssuer|deltaCRL|SelfIssuedCRLSigningKey|cRLSign/;

/** Disagreements accepted, with why; one that stops happening fails the test too, so the list shrinks. */
const ACCEPTED: Readonly<Record<string, string>> = {
  "InvalidBasicSelfIssuedCRLSigningKeyTest8EE.crt":
    "not a revocation failure: the end-entity certificate is signed by the CA's CRL-signing key, whose certificate lacks keyCertSign (path validation's keyUsage check)",
};

let dir: string;
let outcome: ScanOutcome;
const verdicts: { file: string; expected: string; valid: boolean; why: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-pkits-revocation-"));
  outcome = await scanPkits(join(dir, "pkits.db"));
  const expected = await pkitsExpectations();
  for (const [file, expectation] of expected) {
    if (!REVOCATION_TESTS.test(file)) continue;
    const facts = pkitsCertificate(outcome, file);
    const path = facts.path?.trustedPath;
    if (!path) {
      verdicts.push({ file, expected: expectation, valid: false, why: `no trusted path (${facts.path?.stopReason ?? "no path"})` });
      continue;
    }
    const refused = path.slice(0, -1).flatMap((id) => {
      const status = revocationStatus(outcome.view, id);
      return status.status === "good" ? [] : [`${outcome.view.bySha.get(id)?.record.subject ?? id}: ${status.status}`];
    });
    verdicts.push({ file, expected: expectation, valid: refused.length === 0, why: refused.join("; ") || "every certificate good" });
  }
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("revocation of whole paths on NIST PKITS", () => {
  it("judges the revocation tests as the suite expects, but for the accepted disagreements", () => {
    const disagreements = verdicts.filter((v) => v.valid !== (v.expected === "Valid"));
    console.log(`PKITS revocation tests: ${verdicts.length - disagreements.length}/${verdicts.length} agree`);
    for (const v of disagreements) console.log(`  ${v.file} (expected ${v.expected}): ${v.why}`);
    expect(verdicts.length).toBeGreaterThanOrEqual(70);
    expect(Object.fromEntries(disagreements.map((v) => [v.file, ACCEPTED[v.file] ?? `unexpected: ${v.why}`]))).toEqual(ACCEPTED);
  });

  const certificate = (file: string) => {
    const found = outcome.view.certificates.find((c) => c.files.some((p) => p.endsWith(`/${file}`)));
    if (!found) throw new Error(`${file} was not inventoried`);
    return found;
  };
  const crlAt = (file: string) => {
    const found = outcome.view.crls.find((c) => c.url.endsWith(`/${file}`));
    if (!found) throw new Error(`${file} was not read`);
    return found;
  };

  it("tells the serial -1 from 255: the CRL listing -1 revokes the certificate numbered -1 only", () => {
    const minusOne = certificate("InvalidNegativeSerialNumberTest15EE.crt");
    const twoFiftyFive = certificate("ValidNegativeSerialNumberTest14EE.crt");
    expect(revocationStatus(outcome.view, minusOne.sha256)).toMatchObject({ status: "revoked", crls: [expect.stringMatching(/NegativeSerialNumberCACRL\.crl$/)] });
    expect(revocationStatus(outcome.view, twoFiftyFive.sha256).status).toBe("good");
    expect(outcome.conclusions.findings.filter((f) => f.ruleId === "revoked-in-use" && f.certificate === twoFiftyFive.sha256)).toEqual([]);
  });

  it("makes every path through a revoked intermediate invalid, and says so of the intermediate", () => {
    const intermediate = certificate("RevokedsubCACert.crt");
    const leaf = certificate("InvalidRevokedCATest2EE.crt");
    expect(leaf.path?.trustedPath).toContain(intermediate.sha256);
    expect(revocationStatus(outcome.view, intermediate.sha256)).toMatchObject({ status: "revoked", revocations: [expect.objectContaining({ reason: "keyCompromise" })] });
    // The leaf's own CRL is signed by the revoked CA: it decides nothing, so the leaf's status is unknown.
    expect(revocationStatus(outcome.view, leaf.sha256).status).toBe("unknown");
    expect(crlAt("RevokedsubCACRL.crl").problems).toEqual(["signed by a certificate that is itself revoked"]);
    const finding = outcome.conclusions.findings.find((f) => f.ruleId === "revoked-in-use" && f.certificate === intermediate.sha256);
    expect(finding?.evidence.dependents).toContain(leaf.sha256);
  });

  it("verifies a CRL signed by a DSA key that inherits its parameters from its issuer", () => {
    expect(crlAt("DSAParametersInheritedCACRL.crl")).toMatchObject({ signature: { status: "valid" }, problems: [] });
    expect(outcome.conclusions.findings.filter((f) => f.ruleId === "crl-bad-signature" && f.url?.endsWith("DSAParametersInheritedCACRL.crl"))).toEqual([]);
    expect(revocationStatus(outcome.view, certificate("ValidDSAParameterInheritanceTest5EE.crt").sha256).status).toBe("good");
  });

  it("refuses CRLs a relying party would not use, saying why", () => {
    expect(crlAt("keyUsageCriticalcRLSignFalseCACRL.crl")).toMatchObject({ signature: { status: "valid" }, covers: [], revoked: [], problems: [expect.stringContaining("cRLSign")] });
    // Its signature BIT STRING is damaged past reading: recorded unparsable, deciding nothing.
    expect(crlAt("BadCRLSignatureCACRL.crl")).toMatchObject({ crl: null, error: expect.stringContaining("unparsable"), covers: [] });
    expect(crlAt("deltaCRLIndicatorNoBaseCACRL.crl")).toMatchObject({ deltaOf: null, covers: [], problems: [expect.stringContaining("without its complete CRL")] });
    expect(crlAt("UnknownCRLExtensionCACRL.crl").problems).toEqual([expect.stringContaining("critical extensions not interpreted")]);
    expect(crlAt("deltaCRLCA1deltaCRL.crl").deltaOf).toMatch(/deltaCRLCA1CRL\.crl$/);
  });

  it("matches a CRL's issuer to certificates as RFC 5280 7.1 compares names (PrintableString rolled over to UTF8String)", () => {
    expect(revocationStatus(outcome.view, certificate("ValidRolloverfromPrintableStringtoUTF8StringTest10EE.crt").sha256)).toMatchObject({
      status: "good", crls: [expect.stringMatching(/RolloverfromPrintableStringtoUTF8StringCACRL\.crl$/)],
    });
  });

  it("takes a certificate off hold with a delta CRL's removeFromCRL, and revokes what a delta CRL revokes", () => {
    expect(revocationStatus(outcome.view, certificate("ValiddeltaCRLTest5EE.crt").sha256).status).toBe("good");
    expect(revocationStatus(outcome.view, certificate("InvaliddeltaCRLTest4EE.crt").sha256)).toMatchObject({
      status: "revoked", crls: [expect.stringMatching(/deltaCRLCA1deltaCRL\.crl$/)],
    });
    // Judged before the delta CRL was issued (2011), the held certificate is revoked by the complete CRL alone.
    expect(revocationStatus(outcome.view, certificate("ValiddeltaCRLTest5EE.crt").sha256, new Date("2010-06-01T00:00:00Z")).status).toBe("revoked");
  });
});
