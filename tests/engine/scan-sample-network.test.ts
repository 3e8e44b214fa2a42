// End to end over real TLS servers on loopback: the sample network (every rule's defect, healthy
// chains, closed, plain TCP and silent endpoints) is scanned, and statuses, findings and the
// absence of findings on healthy chains are asserted.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { type Report, storedRunReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const HANDSHAKE_TIMEOUT_MS = 1200;

let network: SampleNetwork;
let dir: string;
let report: Report;
let scanMs: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-scan-"));
  network = await startSampleNetwork({ prefix: "127.81.0", port: 9443, workDir: dir });
  const store = new SqliteStore(join(dir, "store.db"));
  const started = performance.now();
  const outcome = await runScan(store, sampleScanPlan(network, HANDSHAKE_TIMEOUT_MS), { log: silentLogger, signal: new AbortController().signal });
  scanMs = performance.now() - started;
  report = storedRunReport(await store.loadRun(outcome.run.id));
  await store.close();
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const endpointId = (address: string, port: number): string => `${address}:${port}`;

describe("scan of the sample network", () => {
  it("marks the run complete", () => {
    expect(report.scan.complete).toBe(true);
    expect(report.scan.targets).toEqual([network.cidr]);
  });

  it("gives every endpoint the status it deserves", () => {
    for (const e of network.endpoints) {
      const seen = report.inventory.endpoints.find((x) => x.id === endpointId(e.address, e.port));
      if (e.status === "closed") {
        expect(seen, `${e.description} is not stored`).toBeUndefined();
      } else {
        expect(seen?.status, `${e.address} (${e.description})`).toBe(e.status);
      }
    }
    // Every probe of the sweep is accounted for, refused ones included.
    expect(report.summary.probesByOutcome.closed).toBe(64 - report.inventory.endpoints.length);
    // Nothing else in the block answered.
    expect(report.inventory.endpoints).toHaveLength(network.endpoints.filter((e) => e.status !== "closed").length);
  });

  it("captures each chain exactly as served, in order", () => {
    for (const e of network.endpoints.filter((x) => x.identity)) {
      const seen = report.inventory.endpoints.find((x) => x.id === endpointId(e.address, e.port))!;
      const served = e.identity!.chain.map((c) => report.inventory.certificates.find((r) => r.endpoints.includes(seen.id) && r.sha256 === seen.chain[e.identity!.chain.indexOf(c)]));
      expect(seen.chain).toHaveLength(e.identity!.chain.length);
      expect(served.every(Boolean)).toBe(true);
      expect(seen.tlsVersion).toMatch(/^TLSv1\.[23]$/);
      expect(seen.cipher).toBeTruthy();
    }
  });

  it("raises exactly the expected rules on each TLS endpoint, none on healthy chains", () => {
    for (const e of network.endpoints.filter((x) => x.identity)) {
      const id = endpointId(e.address, e.port);
      const rules = [...new Set(report.findings.filter((f) => f.endpoints.includes(id)).map((f) => f.ruleId))].sort();
      expect(rules, `${e.identity!.name}: ${e.description}`).toEqual([...e.identity!.expectedRules].sort());
    }
  });

  it("raises the expected rules on certificates imported from files (DSA, P-224, a profile defect)", () => {
    for (const identity of network.pki.fileOnly) {
      const cert = report.inventory.certificates.find((c) => c.subject.includes(`${identity.name}.sample.test`));
      expect(cert, identity.name).toBeDefined();
      const rules = report.findings.filter((f) => f.certificate === cert!.sha256).map((f) => f.ruleId);
      expect(rules).toEqual(identity.expectedRules);
    }
  });

  it("names the shadow root where the untrusted path ends", () => {
    const finding = report.findings.find((f) => f.ruleId === "untrusted-issuer");
    expect(finding?.message).toContain("Shadow IT Root");
    expect((finding?.evidence.top as { selfSigned: boolean }).selfSigned).toBe(true);
  });

  it("completes the incomplete chain over AIA and still reports the omission", () => {
    const incomplete = network.endpoints.find((e) => e.identity?.name === "incomplete")!;
    const leaf = report.inventory.certificates.find((c) => c.endpoints.includes(endpointId(incomplete.address, incomplete.port)))!;
    expect(leaf.trustedPath).toHaveLength(3);
    const issuing = report.inventory.certificates.find((c) => c.sha256 === leaf.trustedPath![1])!;
    expect(issuing.subject).toContain("pkiscope Sample Issuing CA");
  });

  it("builds a CA inventory with sanctioned and unsanctioned CAs", () => {
    const bySubject = (s: string) => report.inventory.cas.find((c) => c.subject.includes(s));
    expect(bySubject("pkiscope Sample Root CA")).toMatchObject({ sanctioned: true, anchor: true });
    expect(bySubject("pkiscope Sample Issuing CA")?.sanctioned).toBe(true);
    expect(bySubject("pkiscope Sample Issuing CA")!.issued).toBeGreaterThanOrEqual(12);
    expect(bySubject("Shadow IT Root")).toMatchObject({ sanctioned: false, anchor: false, issued: 1 });
  });

  it("produces a report that validates against docs/report.schema.json", () => {
    const schema = JSON.parse(readFileSync(new URL("../../docs/report.schema.json", import.meta.url), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const valid = validate(JSON.parse(JSON.stringify(report)));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("records every CRL and OCSP check, with the revoked leaf found by both", () => {
    const revoked = network.endpoints.find((e) => e.identity?.name === "revoked")!;
    const served = report.inventory.endpoints.find((e) => e.id === endpointId(revoked.address, revoked.port))!;
    const leaf = report.inventory.certificates.find((c) => c.sha256 === served.chain[0])!;
    expect(report.inventory.crls.some((c) => c.revoked.some((r) => r.certificate === leaf.sha256 && r.reason === "keyCompromise"))).toBe(true);
    const ocsp = report.inventory.ocsp.find((o) => o.certificate === leaf.sha256)!;
    expect(ocsp).toMatchObject({ certStatus: "revoked", signer: "delegated", signatureValid: true });
    // Each CRL URL is fetched once, however many certificates name it.
    const urls = report.inventory.crls.map((c) => c.url);
    expect(new Set(urls).size).toBe(urls.length);
    const main = report.inventory.crls.find((c) => c.url.endsWith("/issuing.crl"))!;
    expect(main.certificates.length).toBeGreaterThan(10);
    expect(main.signature.status).toBe("valid");
  });

  it("lets a forged CRL revoke nothing, though it lists a served certificate's serial", () => {
    const forged = report.inventory.crls.find((c) => c.url.endsWith("/issuing-forged.crl"))!;
    expect(forged.signature.status).toBe("invalid");
    expect(forged.crl?.entryCount).toBe(1);
    expect(forged.revoked).toEqual([]);
    for (const f of report.findings.filter((x) => x.ruleId === "revoked-in-use")) {
      const cited = (f.evidence.revokedBy as { url: string | null }[]).map((r) => r.url);
      expect(cited).not.toContain(forged.url);
    }
  });

  it("scores the run's maturity in its report, citing evidence", () => {
    const m = report.maturity!;
    expect(m.rubric.name).toContain("Keyfactor");
    expect(m.categories.strategy).toMatchObject({ level: null, bounds: { min: 0, max: 4 } });
    expect(m.categories.reliability.caps.map((c) => c.reason)).toContain("expired certificates in service");
    expect(m.overall.level).toBe(Math.min(...Object.values(m.categories).flatMap((c) => (c.level === null ? [] : [c.level]))));
  });

  it("reports what every rule did: checked and clean, findings, or nothing to check", () => {
    const outcome = (id: string) => report.ruleOutcomes.find((o) => o.ruleId === id)!;
    // Every rule of the registry ran; those with findings are the ones whose texts the report carries.
    expect(report.ruleOutcomes.filter((o) => o.findings > 0).map((o) => o.ruleId).sort()).toEqual(report.rules.map((r) => r.id).sort());
    expect(outcome("weak-key")).toMatchObject({ status: "evaluated", examined: report.inventory.certificates.length });
    expect(outcome("crl-stale")).toMatchObject({ status: "evaluated", findings: 1 });
    expect(outcome("crl-stale").examined).toBe(report.inventory.crls.filter((c) => c.crl !== null).length);
    // No AD CS source in this scan: its rules had nothing to look at, which is not "clean".
    expect(outcome("adcs-esc1")).toMatchObject({ status: "not-applicable", examined: 0, findings: 0 });
    expect(report.analysis.thresholds.slowMs).toBeGreaterThan(0);
  });

  it("verifies a stapled OCSP response", () => {
    const stapling = network.endpoints.find((e) => e.identity?.staples)!;
    const served = report.inventory.endpoints.find((e) => e.id === endpointId(stapling.address, stapling.port))!;
    expect(served.stapledOcsp).toBe(true);
    const staple = report.inventory.ocsp.find((o) => o.source === "staple" && o.endpoint === served.id);
    expect(staple).toMatchObject({ certificate: served.chain[0], certStatus: "good", signer: "delegated", signatureValid: true, problems: [] });
    expect(report.inventory.endpoints.filter((e) => e.stapledOcsp)).toHaveLength(1);
  });

  it("spends no more than its timeout on the silent endpoint", () => {
    const silent = network.endpoints.find((e) => e.status === "timeout")!;
    const stored = report.inventory.endpoints.find((x) => x.id === endpointId(silent.address, silent.port))!;
    expect(stored.error).toContain(`${HANDSHAKE_TIMEOUT_MS} ms`);
    expect(stored.durationMs).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 5);
    // Generous bounds: a shared machine's timers fire late; what matters is that the timeout ends it.
    expect(stored.durationMs).toBeLessThan(3 * HANDSHAKE_TIMEOUT_MS);
    // The whole scan waits on the silent endpoint at most once (probes run concurrently).
    expect(scanMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 30_000);
  });
});
