// report.html of a large run stays small: a Report of 20,000 certificates and endpoints, 25,000
// findings, 300 CAs, CRLs and OCSP responders (built in memory, no scan) renders under the
// bound its caps give, with the totals, per-rule counts, the worst findings first, and every
// link pointing at a row the page has.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";

import type { Finding } from "../../src/model/types.js";
import { MATURITY_CATEGORIES, type MaturityScore } from "../../src/model/maturity.js";
import { renderHtml } from "../../src/reports/html.js";
import { FINDING_EXAMPLES_PER_RULE, INVENTORY_ROWS, SECONDARY_ROWS } from "../../src/reports/html-selection.js";
import type { Report, ReportCertificate } from "../../src/reports/report-model.js";

const sha = (name: string): string => createHash("sha256").update(name).digest("hex");
const CERTIFICATES = 20_000;
const CAS = 300;
const MIB = 1024 * 1024;

/** Leaf i expires i hours after 2026-01-01, issued by CA i % CAS; every CA under one root. */
function largeReport(): Report {
  const root = sha("root");
  const caIds = Array.from({ length: CAS }, (_, i) => sha(`ca ${i}`));
  const certificate = (sha256: string, i: number, isCA: boolean, issuer: string): ReportCertificate => ({
    sha256, subject: `CN=host-${i}.example.com, O=Example`, issuer, serialNumber: i.toString(16), notBefore: "2025-01-01T00:00:00.000Z",
    notAfter: new Date(Date.parse("2026-01-01T00:00:00.000Z") + i * 3_600_000).toISOString(), keyAlgorithm: "RSA", keySize: i % 7 === 0 ? 1024 : 2048,
    curve: null, spkiSha256: sha(`key ${i}`), signatureAlgorithm: "sha256WithRSAEncryption", sans: [`DNS:host-${i}.example.com`], isCA,
    endpoints: isCA ? [] : [`10.0.${i >> 8 & 255}.${i & 255}:443`], files: [], sources: ["tls"], trustedPath: null, crlDistributionPoints: [],
    ocspUrls: [], caIssuersUrls: [], certificatePolicies: [], extendedKeyUsage: [], keyUsage: [], owner: null, site: null, tags: [], firstSeen: null, lastSeen: null,
  });
  // Report order is not worst first: the leaf expiring soonest comes last.
  const leaves = Array.from({ length: CERTIFICATES }, (_, i) => certificate(sha(`leaf ${i}`), CERTIFICATES - 1 - i, false, `CN=CA ${i % CAS}`));
  const certificates = [...leaves, ...caIds.map((id, i) => certificate(id, CERTIFICATES + i, true, "CN=Root")), certificate(root, CERTIFICATES + CAS, true, "CN=Root")];
  const finding = (ruleId: string, severity: Finding["severity"], c: ReportCertificate): Finding => ({
    id: sha(`${ruleId} ${c.sha256}`).slice(0, 24), ruleId, category: "security", severity, message: `${ruleId} on ${c.subject}`,
    certificate: c.sha256, endpoints: c.endpoints, url: null, evidence: { notAfter: c.notAfter },
  });
  const findings = [
    ...leaves.map((c) => finding("expired", "high", c)),
    ...leaves.slice(0, 5000).map((c, i) => finding("weak-key", i % 1000 === 0 ? "critical" : "medium", c)),
    finding("self-signed", "low", certificates.at(-1)!),
  ];
  const score = (): MaturityScore["categories"]["security"] => ({
    level: 1, uncapped: 1, label: "Ad Hoc", bounds: { min: 1, max: 1 }, confidence: 1, nextSteps: [], caps: [],
    criteria: [{
      id: "security.no-weak-keys", level: 2, text: "no weak keys", status: "failed", target: { metric: "keys.weak-share", op: "<=", threshold: 0 },
      metrics: { "keys.weak-share": 0.25 }, evidence: [...leaves, ...findings].map((x) => ("ruleId" in x ? { kind: "finding", id: x.id } : { kind: "certificate", id: x.sha256 })),
    }],
  });
  const responders = Array.from({ length: CAS }, (_, i) => `http://ocsp-${i}.example/`);
  return {
    schemaVersion: 1,
    scan: { id: "run-large", startedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T01:00:00.000Z", complete: true, targets: ["10.0.0.0/16"], ports: [443], trustAnchors: null, profile: null, stats: {} },
    summary: {
      endpointsByStatus: { tls: CERTIFICATES }, probesByOutcome: {}, certificates: certificates.length, cas: CAS + 1, unparsable: 0,
      findingsBySeverity: { critical: 5, high: CERTIFICATES, medium: 4995, low: 1, info: 0 }, byOwner: [],
    },
    inventory: {
      endpoints: leaves.map((c) => ({
        id: c.endpoints[0]!, address: c.endpoints[0]!.split(":")[0]!, port: 443, sni: null, status: "tls", error: null, tlsVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256",
        chain: [c.sha256], stapledOcsp: false, observedAt: "2026-01-01T00:10:00.000Z", durationMs: 3, starttls: null, protocols: null, owner: null, site: null, tags: [], firstSeen: null, lastSeen: null,
      })),
      certificates,
      cas: [root, ...caIds].map((id, i) => ({
        sha256: id, subject: i === 0 ? "CN=Root" : `CN=CA ${i - 1}`, issuer: "CN=Root", notAfter: "2030-01-01T00:00:00.000Z", sanctioned: false, anchor: false,
        issued: i === 0 ? CAS : CERTIFICATES / CAS, parent: i === 0 ? null : root, firstSeen: null, lastSeen: null,
      })),
      unparsable: [],
      crls: responders.map((_, i) => ({
        url: `http://crl-${i}.example/ca.crl`, source: "cdp", fetchedAt: "2026-01-01T00:20:00.000Z", latencyMs: 5, httpStatus: 404, error: "HTTP 404",
        skipped: null, signature: { status: "issuer-unknown", issuer: null }, certificates: [], revoked: [], crl: null,
      })),
      ocsp: leaves.map((c, i) => ({
        url: responders[i % CAS]!, source: "responder", endpoint: null, certificate: c.sha256, issuer: null, fetchedAt: "2026-01-01T00:20:00.000Z",
        latencyMs: 4, httpStatus: 200, error: null, skipped: null, responseStatus: "successful", certStatus: "good", revocationTime: null,
        revocationReason: null, thisUpdate: null, nextUpdate: null, signer: "issuer", signatureValid: true, problems: [],
      })),
      adcs: { forests: [], notAssessed: [] },
      privateKeys: [],
      files: [],
    },
    findings,
    // As in every report: the metadata of each rule with a finding (the findings link to it).
    rules: ["weak-key", "expired", "self-signed"].map((id) => ({ id, title: id, category: "security", severity: "high", rationale: "why", remediation: "fix", references: [] })),
    ruleOutcomes: [],
    ruleFailures: [],
    analysis: { pkiscopeVersion: "0.1.0", analysedAt: "2026-01-01T01:00:00.000Z", validationTime: "2026-01-01T01:00:00.000Z", thresholds: {} },
    maturity: {
      categories: Object.fromEntries(MATURITY_CATEGORIES.map((c) => [c, score()])) as MaturityScore["categories"],
      overall: { level: 1, label: "Ad Hoc", basis: "the lowest level" }, rubric: { name: "test", version: "1", sha256: root },
    },
    pkic: null,
    trends: { runs: [], expiring: [] },
  };
}

/** The rows of a table in the page: `<tr` in the section with this id, header row excluded. */
function tableRows(page: string, sectionId: string): number {
  const start = page.indexOf(`<section id="${sectionId}">`);
  const section = page.slice(start, page.indexOf("</section>", start));
  return section.split("<tr").length - 1 - section.split("<thead>").length + 1;
}

describe("report.html of a large run", () => {
  const report = largeReport();
  const page = renderHtml(report);
  const rules = new Set(report.findings.map((f) => f.ruleId)).size;

  it("stays under the bound its caps give, and under 5 MB", () => {
    // Every table row the caps allow, at 2 KiB each (these rows are under 1 KiB), and 1 MiB for the rest of the page.
    const rows = 2 * INVENTORY_ROWS + rules * (FINDING_EXAMPLES_PER_RULE + 1) + 3 * SECONDARY_ROWS;
    const bytes = Buffer.byteLength(page);
    expect(bytes).toBeLessThan(Math.min(5 * MIB, rows * 2048 + MIB));
    expect(tableRows(page, "inventory")).toBe(INVENTORY_ROWS);
    expect(tableRows(page, "endpoints")).toBe(INVENTORY_ROWS);
    // The overview (a row per rule), then 10 weak-key, 10 expired and the one self-signed finding.
    expect(tableRows(page, "findings")).toBe(rules + 2 * FINDING_EXAMPLES_PER_RULE + 1);
  });

  it("states the totals and how many rows each capped table leaves to report.json", () => {
    expect(page).toContain(`Certificates (${CERTIFICATES + CAS + 1})`);
    expect(page).toContain(`${CERTIFICATES + CAS + 1 - INVENTORY_ROWS} more certificates in report.json and inventory.csv.`);
    expect(page).toContain(`${CERTIFICATES - INVENTORY_ROWS} more endpoints in report.json.`);
    expect(page).toContain(`CA hierarchy (${CAS + 1})`);
    expect(page).toContain(`${CAS + 1 - SECONDARY_ROWS} more CAs in report.json.`);
    expect(page).toContain(`${CAS - SECONDARY_ROWS} more CRLs in report.json.`);
    expect(page).toContain(`${CAS - SECONDARY_ROWS} more OCSP responders in report.json.`);
  });

  it("groups the findings by rule with their counts, the most severe rule first and the worst findings of each first", () => {
    expect(page).toContain(`Findings (${report.findings.length})`);
    const headings = [...page.matchAll(/<h3 id="findings-([a-z-]+)">.*?<\/span> (\d+)<\/h3>/g)].map((m) => [m[1], Number(m[2])]);
    // weak-key has critical findings, so it leads; then expired (high), then self-signed (low).
    expect(headings).toEqual([["weak-key", 5000], ["expired", CERTIFICATES], ["self-signed", 1]]);
    expect(page).toContain(`${CERTIFICATES - FINDING_EXAMPLES_PER_RULE} more findings of this rule in report.json.`);
    // The worst expired finding: the leaf expiring soonest (host-0, last in report order).
    const expired = page.slice(page.indexOf('<h3 id="findings-expired">'));
    expect(expired.indexOf("expired on CN=host-0.example.com")).toBeGreaterThan(0);
    expect(expired.indexOf("expired on CN=host-0.example.com")).toBeLessThan(expired.indexOf("expired on CN=host-1.example.com"));
    // The five critical weak-key findings (leaves 0, 1000, ... 4000: hosts 19999, 18999, ...) lead, soonest expiry first.
    const weak = page.slice(page.indexOf('<h3 id="findings-weak-key">'), page.indexOf('<h3 id="findings-expired">'));
    const hosts = [...weak.matchAll(/weak-key on CN=host-(\d+)\.example\.com/g)].map((m) => Number(m[1]));
    expect(hosts.slice(0, 5)).toEqual([15999, 16999, 17999, 18999, 19999]);
    expect(hosts).toHaveLength(FINDING_EXAMPLES_PER_RULE);
  });

  it("links only to rows the page has", () => {
    const ids = new Set([...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const targets = [...page.matchAll(/ href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(FINDING_EXAMPLES_PER_RULE * rules);
    expect(targets.filter((t) => !ids.has(t))).toEqual([]);
    // Every certificate a listed finding names has its row (and link).
    const examples = [...page.matchAll(/<tr id="finding-[0-9a-f]+">.*?<\/tr>/gs)];
    expect(examples).toHaveLength(2 * FINDING_EXAMPLES_PER_RULE + 1);
    for (const row of examples) expect(row[0]).toMatch(/<a href="#cert-[0-9a-f]{64}">/);
    // An evidence list of every leaf and finding names 100 and counts the rest.
    const cited = CERTIFICATES + report.findings.length;
    expect(page).toContain(`<summary>and ${cited - 5} more</summary>`);
    expect(page).toContain(` · and ${cited - 100} more in report.json</details>`);
  });
});
