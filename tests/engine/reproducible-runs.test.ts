// A run is self-contained: its verdicts come from its own observations, never from what earlier
// runs left in the store. The same network scanned into a fresh store and into a store whose
// history holds the intermediate an endpoint omits gives identical findings; the analysis reads
// the run once; the report written at scan time is the one a later re-render gives; and an old
// run re-renders with the rule texts it was analysed with.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { type ScanOutcome, type ScanPlan, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import type { Finding } from "../../src/model/types.js";
import { buildReport, storedRunReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { parseTarget } from "../../src/targets/targets.js";

let network: SampleNetwork;
let dir: string;
let fresh: { outcome: ScanOutcome; reads: number; db: string };
let withHistory: { outcome: ScanOutcome; reads: number; db: string };
let history: ScanOutcome;

const scan = async (store: SqliteStore, plan: ScanPlan) => runScan(store, plan, { log: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-repro-"));
  network = await startSampleNetwork({ prefix: "127.83.0", port: 9445, workDir: dir });
  // The endpoint that omits its intermediate, alone and fetching nothing: the intermediate is in
  // no chain this run sees.
  const incomplete = network.endpoints.find((e) => e.identity?.name === "incomplete")!;
  const base = sampleScanPlan(network, 1000);
  const sweep: ScanPlan = {
    ...base, targetTexts: [incomplete.address], specs: [parseTarget(incomplete.address)], files: [], fetch: { ...base.fetch, enabled: false },
  };
  const run = async (db: string, before?: ScanPlan) => {
    const store = new SqliteStore(db);
    try {
      if (before) history = await scan(store, before);
      const readsBefore = store.runReads;
      const outcome = await scan(store, sweep);
      return { outcome, reads: store.runReads - readsBefore, db };
    } finally {
      await store.close();
    }
  };
  fresh = await run(join(dir, "fresh.db"));
  // History: an earlier run imported every certificate file of the sample, intermediates included.
  withHistory = await run(join(dir, "history.db"), { ...sweep, targetTexts: [], specs: [], files: [network.filesDir] });
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const verdicts = (findings: readonly Finding[]) =>
  findings.map((f) => `${f.id} ${f.ruleId} ${f.severity} ${f.certificate ?? "-"} ${f.url ?? "-"} ${f.message}`).sort();

describe("reproducible runs", () => {
  it("gives identical findings in a fresh store and in one with history", () => {
    // History holds the issuing CA that the incomplete chain's server omits.
    expect(history.view.certificates.some((c) => c.record.isCA && c.record.subject.includes("pkiscope Sample Issuing CA"))).toBe(true);
    expect(fresh.outcome.conclusions.findings.length).toBeGreaterThan(0);
    expect(verdicts(withHistory.outcome.conclusions.findings)).toEqual(verdicts(fresh.outcome.conclusions.findings));
    // The leaf whose server omits its intermediate has no path in this run: the stored copy from history is not used.
    const incomplete = network.endpoints.find((e) => e.identity?.name === "incomplete")!;
    const leafId = withHistory.outcome.view.endpoints.find((e) => e.address === incomplete.address)!.chain[0]!;
    expect(withHistory.outcome.view.bySha.get(leafId)?.path?.trustedPath).toBeNull();
    expect(withHistory.outcome.conclusions.findings.some((f) => f.ruleId === "untrusted-issuer" && f.certificate === leafId)).toBe(true);
  });

  it("names in its paths only certificates that are part of the run", () => {
    for (const { outcome } of [fresh, withHistory]) {
      const inRun = new Set(outcome.view.certificates.map((c) => c.sha256));
      for (const c of outcome.view.certificates) {
        for (const id of c.path?.trustedPath ?? c.path?.partialPath ?? []) expect(inRun.has(id), `${c.record.subject} → ${id}`).toBe(true);
      }
    }
  });

  it("reads the run once for its analysis", () => {
    expect(fresh.reads).toBe(1);
    expect(withHistory.reads).toBe(1);
  });

  it("re-renders a stored run exactly as the scan reported it", async () => {
    const store = new SqliteStore(fresh.db);
    try {
      const atScan = buildReport(fresh.outcome.view, fresh.outcome.conclusions);
      const rerendered = storedRunReport(await store.loadRun(fresh.outcome.run.id));
      expect(JSON.parse(JSON.stringify(rerendered))).toEqual(JSON.parse(JSON.stringify(atScan)));
    } finally {
      await store.close();
    }
  });

  it("re-renders an old run with the rule texts it was analysed with, not today's", async () => {
    const fired = fresh.outcome.conclusions.findings[0]!.ruleId;
    // Rewrite the saved texts as an older pkiscope would have had them.
    const db = new Database(fresh.db);
    const row = db.prepare("SELECT data FROM conclusions WHERE run_id = ?").pluck().get(fresh.outcome.run.id) as string;
    const saved = JSON.parse(row) as { rules: { id: string; title: string; rationale: string }[]; pkiscopeVersion: string };
    for (const r of saved.rules) if (r.id === fired) Object.assign(r, { title: "Title as 0.0.1 wrote it", rationale: "Old rationale" });
    saved.pkiscopeVersion = "0.0.1";
    db.prepare("UPDATE conclusions SET data = ? WHERE run_id = ?").run(JSON.stringify(saved), fresh.outcome.run.id);
    db.close();
    const store = new SqliteStore(fresh.db);
    try {
      const report = storedRunReport(await store.loadRun(fresh.outcome.run.id));
      expect(report.rules.find((r) => r.id === fired)).toMatchObject({ title: "Title as 0.0.1 wrote it", rationale: "Old rationale" });
      expect(report.ruleOutcomes.find((o) => o.ruleId === fired)?.title).toBe("Title as 0.0.1 wrote it");
      expect(report.analysis.pkiscopeVersion).toBe("0.0.1");
    } finally {
      await store.close();
    }
  });
});
