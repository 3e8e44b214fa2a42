// pkiscope demo as a new user runs it: the sample network scanned on loopback, the reports with the
// maturity chart leading the HTML, and the questionnaire example whose confident answers the scan
// contradicts.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Assessment } from "../../src/model/assessment.js";
import type { Report } from "../../src/reports/report-model.js";
import { byRef, certificatePropertiesOf, expectCbomCoversReport, validCbom } from "../reports/cbom-checks.js";
import { type CliResult, runInProcess } from "./cli-helpers.js";

let dir: string;
let demo: CliResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-demo-"));
  demo = await runInProcess(["demo", "--out", dir, "--prefix", "127.104.0", "--port", "9473", "-q"]);
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pkiscope demo", () => {
  it("scans the sample network and leads its HTML report with the maturity chart", async () => {
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^Maturity \(the chart leads report\.html\):\nReliability +\d/m);
    const html = await readFile(join(dir, "report.html"), "utf8");
    const chart = html.indexOf("<svg");
    expect(chart).toBeGreaterThan(0);
    expect(chart).toBeLessThan(html.indexOf('id="summary"'));
    const report = JSON.parse(await readFile(join(dir, "report.json"), "utf8"));
    expect(Object.keys(report.maturity.categories)).toHaveLength(6);
  });

  it("writes a CBOM that validates against CycloneDX 1.6 and shows the weak keys and signatures as they are", async () => {
    const report = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as Report;
    const cbom = await validCbom(await readFile(join(dir, "report.cdx.json"), "utf8"));
    expectCbomCoversReport(cbom, report);
    const components = byRef(cbom);
    const leaf = (name: string) => certificatePropertiesOf(cbom.components.find((c) => c.name === `O=pkiscope sample, CN=${name}.sample.test`));
    const weak = components.get(leaf("weak-rsa1024").subjectPublicKeyRef);
    expect(weak?.cryptoProperties).toMatchObject({ relatedCryptoMaterialProperties: { type: "public-key", size: 1024, algorithmRef: "crypto/algorithm/1.2.840.113549.1.1.1/1024" } });
    expect(components.get("crypto/algorithm/1.2.840.113549.1.1.1/1024")).toMatchObject({
      name: "RSA-1024",
      cryptoProperties: { oid: "1.2.840.113549.1.1.1", algorithmProperties: { primitive: "pke", parameterSetIdentifier: "1024", classicalSecurityLevel: 80, nistQuantumSecurityLevel: 0 } },
    });
    expect(components.get(leaf("sha1-signed").signatureAlgorithmRef)).toMatchObject({ name: "ecdsa-with-SHA1", cryptoProperties: { oid: "1.2.840.10045.4.1", algorithmProperties: { primitive: "signature" } } });
    expect(components.get(leaf("md5-signed").signatureAlgorithmRef)).toMatchObject({ name: "md5WithRSAEncryption", cryptoProperties: { oid: "1.2.840.113549.1.1.4" } });
    // The two leaves that share a key share its one component.
    expect(leaf("reuse-a").subjectPublicKeyRef).toBe(leaf("reuse-b").subjectPublicKeyRef);
    expect(leaf("reuse-a").subjectPublicKeyRef).not.toBe(leaf("healthy-p256").subjectPublicKeyRef);
  });

  it("shows a questionnaire example the scan contradicts, with the documents of the assessment", async () => {
    const assessment = JSON.parse(await readFile(join(dir, "assessment", "assessment.json"), "utf8")) as Assessment;
    const contradicted = assessment.questions.filter((q) => q.verdict === "contradicted");
    expect(contradicted.map((q) => q.id)).toEqual(expect.arrayContaining(["governance.inventory", "security.hardening"]));
    expect(demo.stdout).toContain(`Self-assessment example (${join(dir, "demo-answers.yaml")}): ${contradicted.length} answer(s) contradicted by the scan`);
    for (const q of contradicted) expect(demo.stdout).toContain(`  ${q.id}: answered yes`);
    // The team's "yes" on DR testing, which no scan can see, settles that criterion as self-declared.
    expect(assessment.maturity.categories.reliability.criteria.find((c) => c.id === "reliability.dr-testing")).toMatchObject({ selfDeclared: { answer: "yes" } });
    expect(await readFile(join(dir, "assessment", "assessment.md"), "utf8")).toContain("### governance.inventory: contradicted by the evidence");
    expect(await readFile(join(dir, "assessment", "assessment.html"), "utf8")).toContain("<svg");
  });
});
