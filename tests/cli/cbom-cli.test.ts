// scan --format cbom and report --format cbom on a scan of certificate files (no network at all):
// a CA whose subject is hostile text (quotes, backslash, markup, unicode, a right-to-left
// override), two leaves sharing one key, an Ed25519 certificate (its key and signature algorithm
// are one OID, hence one algorithm asset). The demo's CBOM is checked in demo-cli.test.ts.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { printableJson } from "../../src/printable.js";
import { renderCbom } from "../../src/reports/cbom.js";
import type { Report } from "../../src/reports/report-model.js";
import { byRef, certificatePropertiesOf, expectCbomCoversReport, validCbom } from "../reports/cbom-checks.js";
import { runInProcess } from "./cli-helpers.js";

const HOSTILE_CN = 'Ünïcødé 🔐 "quoted" \\back\\slash <b>&amp; \u202eevil';
const DAY = 86_400_000;

let dir: string;
let db: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-cbom-"));
  db = join(dir, "cbom.db");
  const certs = join(dir, "certs");
  await mkdir(certs);
  const now = Date.now();
  const validity = { notBefore: new Date(now - DAY), notAfter: new Date(now + 90 * DAY) };
  const caKey = generateKeyPair({ kind: "rsa", bits: 2048 });
  const ca = buildCertificate({ subject: [["O", "pkiscope test"], ["CN", HOSTILE_CN]], publicKey: caKey.publicKey, selfSignKey: caKey.privateKey, isCA: true, keyUsage: ["keyCertSign", "cRLSign"], ...validity });
  const shared = generateKeyPair({ kind: "ec", curve: "P-256" });
  const leaf = (name: string) => buildCertificate({
    subject: { CN: name }, publicKey: shared.publicKey, issuer: { certificateDer: ca.der, privateKey: caKey.privateKey }, dnsNames: [name], ...validity,
  });
  const edKey = generateKeyPair({ kind: "ed25519" });
  const ed = buildCertificate({ subject: { CN: "ed25519.cbom.test" }, publicKey: edKey.publicKey, selfSignKey: edKey.privateKey, ...validity });
  await writeFile(join(certs, "hostile-ca.crt"), ca.pem);
  // Named as c_rehash names its links: ".0" is no certificate file extension.
  await writeFile(join(certs, "0a1b2c3d.0"), ca.pem);
  await writeFile(join(certs, "reuse-a.pem"), leaf("reuse-a.cbom.test").pem);
  await writeFile(join(certs, "reuse-b.0"), leaf("reuse-b.cbom.test").pem);
  await writeFile(join(certs, "ed25519.der"), ed.der);
  await writeFile(join(dir, "anchors.pem"), ca.pem);
  const scan = await runInProcess([
    "scan", "--files", certs, "--trust-anchors", join(dir, "anchors.pem"), "--no-fetch", "--no-revocation",
    "--format", "json,cbom", "--db", db, "--out", join(dir, "out"), "-q",
  ]);
  expect(scan.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pkiscope scan --format cbom", () => {
  it("writes report.cdx.json beside report.json, and only the formats asked for", async () => {
    const report = JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8")) as Report;
    const cbom = await validCbom(await readFile(join(dir, "out", "report.cdx.json"), "utf8"));
    expect(report.inventory.certificates).toHaveLength(4);
    expectCbomCoversReport(cbom, report);
    await expect(readFile(join(dir, "out", "report.html"))).rejects.toThrow(/ENOENT/);
  });

  it("keeps a hostile subject intact through JSON, and names the certificate file extension it was found with", async () => {
    const cbom = await validCbom(await readFile(join(dir, "out", "report.cdx.json"), "utf8"));
    const report = JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8")) as Report;
    const subject = report.inventory.certificates.find((c) => c.subject.includes("Ünïcødé"))!.subject;
    const ca = cbom.components.find((c) => c.name === subject);
    const properties = certificatePropertiesOf(ca);
    expect(properties).toMatchObject({ subjectName: subject, issuerName: subject });
    // RFC 4514 escapes quotes, backslashes, angle brackets and semicolons; the rest is as the certificate has it.
    for (const piece of ["Ünïcødé 🔐", '\\"quoted\\"', "\\\\back\\\\slash", "\\<b\\>&amp\\;", "\u202eevil"]) expect(subject).toContain(piece);
    expect(properties.certificateExtension).toBe("crt");
    const ed = cbom.components.find((c) => c.name === "CN=ed25519.cbom.test");
    expect(certificatePropertiesOf(ed).certificateExtension).toBe("der");
    expect(certificatePropertiesOf(cbom.components.find((c) => c.name === "CN=reuse-b.cbom.test"))).not.toHaveProperty("certificateExtension");
  });

  it("lists a key shared by two certificates once, and an algorithm shared by key and signature once", async () => {
    const cbom = await validCbom(await readFile(join(dir, "out", "report.cdx.json"), "utf8"));
    const components = byRef(cbom);
    const leafProperties = ["CN=reuse-a.cbom.test", "CN=reuse-b.cbom.test"].map((name) => certificatePropertiesOf(cbom.components.find((c) => c.name === name)));
    expect(leafProperties[0]!.subjectPublicKeyRef).toBe(leafProperties[1]!.subjectPublicKeyRef);
    expect(components.get(leafProperties[0]!.subjectPublicKeyRef)?.cryptoProperties).toMatchObject({ relatedCryptoMaterialProperties: { size: 256 } });
    expect(components.get("crypto/algorithm/1.2.840.10045.2.1/1.2.840.10045.3.1.7")).toMatchObject({
      name: "EC-P-256", cryptoProperties: { oid: "1.2.840.10045.2.1", algorithmProperties: { primitive: "signature", curve: "nist/P-256", classicalSecurityLevel: 128, nistQuantumSecurityLevel: 0 } },
    });
    const ed = certificatePropertiesOf(cbom.components.find((c) => c.name === "CN=ed25519.cbom.test"));
    expect(ed.signatureAlgorithmRef).toBe("crypto/algorithm/1.3.101.112");
    expect(components.get(ed.subjectPublicKeyRef)?.cryptoProperties).toMatchObject({ relatedCryptoMaterialProperties: { algorithmRef: "crypto/algorithm/1.3.101.112" } });
    expect(cbom.components.filter((c) => c["bom-ref"] === "crypto/algorithm/1.3.101.112")).toHaveLength(1);
    // The CA signed all three RSA-signed certificates: one sha256WithRSAEncryption asset.
    expect(cbom.components.filter((c) => c.name === "sha256WithRSAEncryption")).toMatchObject([{ cryptoProperties: { oid: "1.2.840.113549.1.1.11" } }]);
  });
});

describe("buildCbom on what pkiscope cannot name", () => {
  it("keeps an unknown signature OID, an unknown key algorithm and a key of unknown size as valid assets", async () => {
    const report = JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8")) as Report;
    const ca = report.inventory.certificates.find((c) => c.isCA)!;
    const ed = report.inventory.certificates.find((c) => c.keyAlgorithm === "Ed25519")!;
    report.inventory.certificates = [
      { ...ca, signatureAlgorithm: "1.2.3.4.5", keyAlgorithm: "unknown", keySize: null, curve: null },
      // A DSA key whose parameters are its issuer's: its size is unknown.
      { ...ed, keyAlgorithm: "DSA", keySize: null, curve: null },
    ];
    const cbom = await validCbom(renderCbom(report));
    expectCbomCoversReport(cbom, report);
    const components = byRef(cbom);
    expect(components.get("crypto/algorithm/1.2.3.4.5")).toMatchObject({ name: "1.2.3.4.5", cryptoProperties: { oid: "1.2.3.4.5", algorithmProperties: { primitive: "unknown" } } });
    expect(components.get("crypto/algorithm/1.2.3.4.5")?.cryptoProperties).not.toHaveProperty("algorithmProperties.nistQuantumSecurityLevel");
    expect(components.get("crypto/algorithm/unknown")).toMatchObject({ name: "unknown public key algorithm", cryptoProperties: { algorithmProperties: { primitive: "unknown" } } });
    expect(components.get("crypto/algorithm/1.2.840.10040.4.1")).toMatchObject({ name: "DSA", cryptoProperties: { algorithmProperties: { primitive: "signature", nistQuantumSecurityLevel: 0 } } });
    expect(components.get("crypto/algorithm/1.2.840.10040.4.1")?.cryptoProperties).not.toHaveProperty("algorithmProperties.classicalSecurityLevel");
    for (const key of cbom.components.filter((c) => c.cryptoProperties.assetType === "related-crypto-material")) {
      expect(key.cryptoProperties).not.toHaveProperty("relatedCryptoMaterialProperties.size");
    }
  });
});

describe("pkiscope report --format cbom", () => {
  it("renders the stored run's CBOM to stdout, the same document the scan wrote (its bidi control escaped for a terminal)", async () => {
    const result = await runInProcess(["report", "--db", db, "--format", "cbom"]);
    expect(result.code).toBe(0);
    await validCbom(result.stdout);
    const written = await readFile(join(dir, "out", "report.cdx.json"), "utf8");
    expect(written).toContain("\u202eevil");
    expect(result.stdout).toBe(printableJson(written));
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(written));
  });

  it("refuses an unknown format with a usage error naming the formats, on report and before a scan runs", async () => {
    const report = await runInProcess(["report", "--db", db, "--format", "cbom,spdx", "--out", join(dir, "never")]);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain('--format takes json, html, csv, cbom, not "spdx"');
    const runsBefore = (await runInProcess(["runs", "--db", db])).stdout;
    const scan = await runInProcess(["scan", "--files", join(dir, "certs"), "--format", "xml", "--db", db, "--out", join(dir, "never")]);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain('--format takes json, html, csv, cbom, not "xml"');
    expect((await runInProcess(["runs", "--db", db])).stdout).toBe(runsBefore);
  });
});
