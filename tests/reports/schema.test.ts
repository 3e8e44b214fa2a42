// docs/report.schema.json against what storedRunReport really produces. The report is built from a
// stored run (not written by hand), so a key added to or dropped from the Report without the
// schema following fails here: every defined object in the schema is closed and lists all keys.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";

import type { CertificateRecord } from "../../src/model/types.js";
import { RULES } from "../../rules/index.js";
import { type Report, storedRunReport } from "../../src/reports/report-model.js";
import type { RunContents, StoredCertificate } from "../../src/store/store.js";
import { jsonChunks } from "../../src/reports/json.js";
import { writeReports } from "../../src/reports/write.js";

const schema: unknown = JSON.parse(readFileSync(new URL("../../docs/report.schema.json", import.meta.url), "utf8"));
const validate = new Ajv({ allErrors: true }).compile(schema as object);

const sha = (name: string): string => createHash("sha256").update(name).digest("hex");
const ROOT = sha("root");
const ISSUING = sha("issuing");
const LEAF = sha("leaf");
const BROKEN = sha("broken");
const SEEN = "2025-06-01T10:00:01.000Z";

function record(sha256: string, fields: Pick<CertificateRecord, "subject" | "issuer"> & Partial<CertificateRecord>): CertificateRecord {
  return {
    sha256, serialNumber: "01", notBefore: "2024-01-01T00:00:00.000Z", notAfter: "2034-01-01T00:00:00.000Z",
    keyAlgorithm: "RSA", keySize: 4096, curve: null, spkiSha256: sha(`${sha256} key`), signatureAlgorithm: "sha256WithRSAEncryption",
    signatureHash: "sha256", sans: [], hasSanExtension: false, isCA: true, pathLength: null, keyUsage: ["keyCertSign"],
    extendedKeyUsage: [], authorityKeyId: null, subjectKeyId: null, crlDistributionPoints: [], ocspUrls: [],
    caIssuersUrls: [], certificatePolicies: [], selfIssued: false, rsaWeakness: null, parseWarnings: [], ...fields,
  };
}

function stored(sha256: string, rec: CertificateRecord | null): StoredCertificate {
  return {
    sha256, der: Buffer.from(sha256, "hex"), record: rec, parseError: rec ? null : "ASN.1 decode failed",
    subjectNameHash: rec ? sha(rec.subject) : null, issuerNameHash: rec ? sha(rec.issuer) : null, parserVersion: 2,
  };
}

/** A finished run: root anchor → issuing CA → leaf served over TLS, an unparsable file, findings and a rule failure. */
function storedRun(): RunContents {
  const tlsEndpoint = "192.0.2.10:443#www.example.com";
  return {
    run: {
      id: "6f1c2a7e-5b3d-4c1e-9a0f-2d8e7b6c5a41", startedAt: "2025-06-01T10:00:00.000Z", finishedAt: "2025-06-01T10:05:00.000Z",
      complete: true, targets: ["192.0.2.0/28", "www.example.com"], ports: [443, 8443], options: { trustAnchors: "mozilla" },
      stats: { probes: "32", collectors: { tls: { tls: 1, closed: 27, timeout: 1, "not-tls": 1, error: 1 } } },
    },
    endpoints: [
      {
        id: tlsEndpoint, address: "192.0.2.10", port: 443, sni: "www.example.com", status: "tls", error: null,
        tlsVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [LEAF, ISSUING], stapledOcsp: Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x00]), observedAt: SEEN, durationMs: 41,
      },
      ...(["timeout", "not-tls", "error"] as const).map((status, i) => ({
        id: `192.0.2.${11 + i}:8443`, address: `192.0.2.${11 + i}`, port: 8443, sni: null, status, error: `${status} happened`,
        tlsVersion: null, cipher: null, chain: [], stapledOcsp: null, observedAt: SEEN, durationMs: 5000,
      })),
    ],
    sightings: [
      { sha256: LEAF, source: "tls", location: tlsEndpoint, position: 0, observedAt: SEEN, error: null },
      { sha256: ISSUING, source: "tls", location: tlsEndpoint, position: 1, observedAt: SEEN, error: null },
      { sha256: LEAF, source: "file", location: "/etc/ssl/leaf.pem", position: null, observedAt: SEEN, error: null },
      { sha256: BROKEN, source: "file", location: "/etc/ssl/broken.pem", position: null, observedAt: SEEN, error: null },
    ],
    certificates: [
      stored(ROOT, record(ROOT, { subject: "CN=Example Root CA", issuer: "CN=Example Root CA", selfIssued: true })),
      stored(ISSUING, record(ISSUING, { subject: "CN=Example Issuing CA", issuer: "CN=Example Root CA", pathLength: 0 })),
      stored(LEAF, record(LEAF, {
        subject: "CN=www.example.com", issuer: "CN=Example Issuing CA", keyAlgorithm: "EC", keySize: 256, curve: "P-256",
        signatureAlgorithm: "ecdsa-with-SHA256", sans: ["DNS:www.example.com"], hasSanExtension: true, isCA: false,
        keyUsage: ["digitalSignature"], extendedKeyUsage: ["serverAuth"], crlDistributionPoints: ["http://crl.example.com/issuing.crl"],
        ocspUrls: ["http://ocsp.example.com"], caIssuersUrls: ["http://ca.example.com/issuing.crt"], certificatePolicies: ["2.23.140.1.2.1"],
      })),
      stored(BROKEN, null),
    ],
    paths: [
      { sha256: ROOT, trustedPath: [ROOT], partialPath: [ROOT], selfSigned: true, stopReason: null },
      { sha256: ISSUING, trustedPath: [ISSUING, ROOT], partialPath: [ISSUING, ROOT], selfSigned: false, stopReason: null },
      { sha256: LEAF, trustedPath: [LEAF, ISSUING, ROOT], partialPath: [LEAF, ISSUING, ROOT], selfSigned: false, stopReason: null },
    ],
    snapshots: [],
    crls: [],
    ocsp: [],
    anchors: [ROOT],
    findings: [
      {
        id: sha("expiring-soon").slice(0, 24), ruleId: "expiring-soon", category: "reliability", severity: "medium",
        message: "expires in 20 days", certificate: LEAF, endpoints: [tlsEndpoint], url: null, evidence: { days: 20 },
      },
      {
        id: sha("crl-unreachable").slice(0, 24), ruleId: "crl-unreachable", category: "reliability", severity: "high",
        message: "CRL not fetched", certificate: null, endpoints: [], url: "http://crl.example.com/issuing.crl", evidence: {},
      },
    ],
    ruleFailures: [{ ruleId: "ocsp-stapling", error: "TypeError: boom" }],
    fetches: [],
    ruleOutcomes: [
      { ruleId: "expiring-soon", status: "evaluated", examined: 3, findings: 1, failures: 0 },
      { ruleId: "adcs-esc1", status: "not-applicable", examined: 0, findings: 0, failures: 0 },
      { ruleId: "ocsp-stapling", status: "failed", examined: 0, findings: 0, failures: 1 },
    ],
    rules: RULES.map((r) => r.meta),
    thresholds: { expiryDays: 30, crlExpiryHours: 24, slowMs: 2000 },
    pkiscopeVersion: "0.2.0",
    analysedAt: "2025-06-01T10:05:00.000Z",
    validationTime: "2025-06-01T10:05:00.000Z",
    maturity: null,
    pkic: null,
  };
}

/** Validation error paths of a report changed by `mutate` (an empty list means it validates). */
function errorsAfter(mutate: (report: Record<string, any>) => void): string[] {
  const report = structuredClone(storedRunReport(storedRun())) as Record<string, any>;
  mutate(report);
  return validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

describe("docs/report.schema.json", () => {
  it("accepts the report storedRunReport makes of a finished run", () => {
    const report: Report = storedRunReport(storedRun());
    expect(report.inventory.certificates).toHaveLength(3);
    expect(report.inventory.unparsable).toHaveLength(1);
    expect(validate(report), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("is written as a stream that is byte for byte JSON.stringify's text of the report, and valid", async () => {
    const report: Report = structuredClone(storedRunReport(storedRun()));
    // Strings that JSON escapes (a newline must not be taken for layout), and members and
    // elements JSON.stringify leaves out or writes as null, at the depths the stream walks itself.
    report.inventory.certificates[0]!.subject = "CN=two\nlines \u2028 \"quoted\" \\ é 😀";
    report.scan.stats = { ...report.scan.stats, omitted: undefined, nested: { deep: [1, undefined, { x: [] }] }, empty: {}, none: [] };
    const expected = `${JSON.stringify(report, null, 2)}\n`;
    const chunks = [...jsonChunks(report)];
    expect(chunks.length).toBeGreaterThan(report.inventory.certificates.length);
    expect(chunks.join("")).toBe(expected);
    const dir = mkdtempSync(join(tmpdir(), "pkiscope-json-"));
    try {
      const [path] = await writeReports(report, dir, ["json"]);
      const written = readFileSync(path!, "utf8");
      expect(written).toBe(expected);
      expect(validate(JSON.parse(written)), JSON.stringify(validate.errors, null, 2)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a run that has not finished", () => {
    expect(errorsAfter((r) => {
      r.scan.finishedAt = null;
      r.scan.complete = false;
    })).toEqual([]);
  });

  it("accepts keys added by later versions at the top level and in the inventory", () => {
    expect(errorsAfter((r) => {
      r.history = { previousRun: "x" };
      r.inventory.ssh = { hostKeys: [] };
    })).toEqual([]);
  });

  it.each<[string, (report: Record<string, any>) => void, string]>([
    ["an unknown severity", (r) => { r.findings[0].severity = "severe"; }, "/findings/0/severity"],
    ["an unknown category", (r) => { r.findings[0].category = "performance"; }, "/findings/0/category"],
    ["an unknown endpoint status", (r) => { r.inventory.endpoints[0].status = "open"; }, "/inventory/endpoints/0/status"],
    ["a missing scan id", (r) => { delete r.scan.id; }, "/scan"],
    ["a missing findings list", (r) => { delete r.findings; }, ""],
    ["an uppercase sha256", (r) => { r.inventory.certificates[0].sha256 = ROOT.toUpperCase(); }, "/inventory/certificates/0/sha256"],
    ["a truncated sha256 in a chain", (r) => { r.inventory.endpoints[0].chain[0] = LEAF.slice(0, 40); }, "/inventory/endpoints/0/chain/0"],
    ["a bad CA parent", (r) => { r.inventory.cas[1].parent = "root"; }, "/inventory/cas/1/parent"],
    ["an unknown key in a certificate", (r) => { r.inventory.certificates[0].der = "MIIB"; }, "/inventory/certificates/0"],
    ["a missing severity count", (r) => { delete r.summary.findingsBySeverity.info; }, "/summary/findingsBySeverity"],
    ["another schema version", (r) => { r.schemaVersion = 2; }, "/schemaVersion"],
    ["a timestamp that is not ISO 8601", (r) => { r.scan.startedAt = "June 1st"; }, "/scan/startedAt"],
  ])("rejects %s", (_label, mutate, path) => {
    const errors = errorsAfter(mutate);
    expect(errors.some((e) => e.startsWith(`${path} `)), errors.join("\n")).toBe(true);
  });
});
