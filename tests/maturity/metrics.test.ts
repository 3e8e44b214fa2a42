// Maturity metrics over a real scan of the sample network (every defect on loopback): each value
// is checked against the report the same scan wrote, the evidence names the objects counted, and
// what the scan could not see (AD CS, here) is null with what to scan instead.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { type Metric, computeMetrics } from "../../src/maturity/metrics.js";
import { defaultRubricPath, loadRubric } from "../../src/maturity/rubric.js";
import { scoreMaturity } from "../../src/maturity/score.js";
import { type Report, buildReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

let network: SampleNetwork;
let dir: string;
let report: Report;
let metrics: Record<string, Metric>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-metrics-"));
  network = await startSampleNetwork({ prefix: "127.84.0", port: 9446, workDir: dir });
  const store = new SqliteStore(join(dir, "store.db"));
  try {
    const outcome = await runScan(store, sampleScanPlan(network, 1000), { log: silentLogger, signal: new AbortController().signal });
    report = buildReport(outcome.view, outcome.conclusions);
    metrics = computeMetrics(outcome.view, outcome.conclusions);
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const ids = (m: Metric) => m.evidence.map((e) => e.id).sort();

describe("maturity metrics of the sample network", () => {
  it("measures the share of endpoints that chain to a sanctioned anchor, citing them", () => {
    const served = report.inventory.endpoints.filter((e) => e.chain.length > 0);
    const trusted = served.filter((e) => report.inventory.certificates.find((c) => c.sha256 === e.chain[0])?.trustedPath);
    const m = metrics["endpoints.sanctioned-share"]!;
    expect(m).toMatchObject({ count: trusted.length, total: served.length });
    expect(m.value).toBeCloseTo(trusted.length / served.length);
    expect(ids(m)).toEqual(trusted.map((e) => e.id).sort());
    expect(ids(metrics["endpoints.unsanctioned-share"]!)).toEqual(served.filter((e) => !trusted.includes(e)).map((e) => e.id).sort());
  });

  it("names the shadow root among the issuing CAs, as unsanctioned", () => {
    const shadow = report.inventory.cas.find((c) => c.subject.includes("Shadow IT Root"))!;
    const issuing = report.inventory.cas.find((c) => c.subject.includes("pkiscope Sample Issuing CA"))!;
    expect(ids(metrics["cas.unsanctioned"]!)).toContain(shadow.sha256);
    expect(ids(metrics["cas.unsanctioned"]!)).not.toContain(issuing.sha256);
    expect(ids(metrics["cas.issuing"]!)).toEqual(expect.arrayContaining([shadow.sha256, issuing.sha256]));
  });

  it("counts weak keys and signatures from the rules' findings", () => {
    for (const [metric, rule] of [["keys.weak-share", "weak-key"], ["signatures.weak-share", "weak-signature"]] as const) {
      const flagged = [...new Set(report.findings.filter((f) => f.ruleId === rule).map((f) => f.certificate!))].sort();
      expect(flagged.length, rule).toBeGreaterThan(0);
      expect(ids(metrics[metric]!), metric).toEqual(flagged);
      expect(metrics[metric]!.count).toBe(flagged.length);
    }
  });

  it("measures CRL freshness and OCSP availability, leaving out the stale CRL and the dead responder", () => {
    const crl = metrics["crl.fresh-share"]!;
    const stale = report.findings.find((f) => f.ruleId === "crl-stale")!.url!;
    expect(crl.total).toBe(report.inventory.crls.filter((c) => c.crl !== null).length);
    expect(ids(crl)).not.toContain(stale);
    expect(crl.value).toBeLessThan(1);
    const ocsp = metrics["ocsp.available-share"]!;
    const dead = report.findings.find((f) => f.ruleId === "ocsp-unreachable")!.url!;
    expect(ids(ocsp)).not.toContain(dead);
    expect(ocsp.value).toBeGreaterThan(0);
    expect(ocsp.value).toBeLessThan(1);
  });

  it("describes TLS leaves' validity and the key algorithms and TLS versions in service", () => {
    expect(metrics["tls.median-validity-days"]!.value).toBeGreaterThan(0);
    const longLived = report.findings.filter((f) => f.ruleId === "long-validity").map((f) => f.certificate!);
    expect(ids(metrics["tls.long-lived-share"]!)).toEqual(expect.arrayContaining(longLived));
    expect(metrics["keys.algorithm-families"]!.breakdown).toMatchObject({ RSA: expect.any(Number), EC: expect.any(Number) });
    const versions = metrics["tls.v13-share"]!.breakdown!;
    expect(Object.values(versions).reduce((a, b) => a + b, 0)).toBe(report.inventory.endpoints.filter((e) => e.tlsVersion).length);
  });

  it("leaves what it could not observe unmeasured, saying what to scan", () => {
    for (const id of ["adcs.auto-enrollment-templates", "adcs.online-roots"]) {
      expect(metrics[id], id).toMatchObject({ value: null, evidence: [] });
      expect(metrics[id]!.notObserved).toContain("--ldap");
    }
    // Every observed share is a share, and cites no more than its count.
    for (const m of Object.values(metrics)) {
      if (m.total !== undefined && m.value !== null) {
        expect(m.value, m.id).toBeGreaterThanOrEqual(0);
        expect(m.value, m.id).toBeLessThanOrEqual(1);
        expect(m.evidence.length, m.id).toBeLessThanOrEqual(m.count!);
      }
    }
  });

  it("scores the sample network with the shipped rubric: capped where its defects say, evidence behind every level", () => {
    const { categories } = scoreMaturity(metrics, report.findings, loadRubric(defaultRubricPath()));
    const expired = report.findings.filter((f) => f.ruleId === "expired").map((f) => f.id);
    expect(categories.reliability.level).toBeLessThanOrEqual(1);
    expect(categories.reliability.caps).toContainEqual(expect.objectContaining({ level: 1, findings: expired }));
    expect(categories.governance.level).toBeLessThanOrEqual(1);
    expect(categories.security.level).toBeLessThanOrEqual(1);
    expect(categories.strategy).toMatchObject({ level: null, bounds: { min: 0, max: 4 } });
    for (const [id, c] of Object.entries(categories)) {
      const cited = c.criteria.some((k) => k.evidence.length > 0 || k.status === "not-assessed") || c.caps.some((cap) => cap.findings.length > 0);
      expect(cited, id).toBe(true);
      expect(c.bounds.min, id).toBeLessThanOrEqual(c.level ?? c.bounds.min);
      expect(c.level ?? c.bounds.max, id).toBeLessThanOrEqual(c.bounds.max);
    }
  });
});
