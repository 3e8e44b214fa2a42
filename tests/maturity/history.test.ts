// History metrics over real scans: three TLS endpoints on loopback scanned again and again into one
// store, their certificates rotated between runs. One is renewed a month before its leaf expires,
// one only after its leaf expired (served expired in the first run), one keeps its leaf but stops
// sending its intermediate in the last run (a regression). The runs' starts are replayed about a
// week apart (ScanPlan.startedAt); a second store holds an irregular schedule. Expected values come from
// what each scan itself saw (its view and findings); the first run has no history, the second no
// cadence yet, and every piece of history evidence names the run it was seen in.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { serveIdentity } from "../../fixtures/sample-network.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import { DEFAULT_FETCH, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { type ScanOutcome, type ScanPlan, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { CADENCE_TOLERANCE, NO_HISTORY, RENEWED_EARLY_DAYS, historyRunOf } from "../../src/maturity/history.js";
import { type Metric, computeMetrics } from "../../src/maturity/metrics.js";
import type { ScoredCriterion } from "../../src/model/maturity.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { parseTarget } from "../../src/targets/targets.js";

const DAY = 86_400_000;
const PORT = 9443;
const ADDRESSES = { early: "127.111.0.2", late: "127.111.0.3", steady: "127.111.0.4" } as const;
const ENDPOINT = Object.fromEntries(Object.entries(ADDRESSES).map(([name, address]) => [name, `${address}:${PORT}`])) as Record<keyof typeof ADDRESSES, string>;

const t0 = Date.now();
const at = (days: number) => new Date(t0 + days * DAY);
const issue = (cn: string, issuer: SampleCertificate | null, notBefore: number, notAfter: number, ca = false): SampleCertificate => {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const built = buildCertificate({
    subject: [["O", "pkiscope history"], ["CN", cn]], publicKey: key.publicKey,
    ...(issuer ? { issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey } } : { selfSignKey: key.privateKey }),
    notBefore: at(notBefore), notAfter: at(notAfter),
    ...(ca ? { isCA: true, keyUsage: ["keyCertSign", "cRLSign"] } : { dnsNames: [`${cn}`], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"] }),
  });
  return { ...built, privateKey: key.privateKey };
};
const root = issue("History Root CA", null, -400, 3650, true);
const intermediate = issue("History Issuing CA", root, -300, 1800, true);
const leaves = {
  // Renewed 30 days before expiry.
  early1: issue("early.history.test", intermediate, -60, 30),
  early2: issue("early.history.test", intermediate, -1, 89),
  // Expired 5 days before the first scan; renewed by the second.
  late1: issue("late.history.test", intermediate, -95, -5),
  late2: issue("late.history.test", intermediate, -1, 89),
  steady: issue("steady.history.test", intermediate, -10, 80),
};

let dir: string;
let anchors: string;
const servers = new Map<string, () => Promise<void>>();
/** Weekly, give or take a day: runs 15 and 7 days back, then now. */
let weekly: { store: SqliteStore; runs: ScanOutcome[] };
/** Irregular: runs 26, 19 and 12 days back, then now: intervals of 7, 7 and 12 days (12 is more than half again the median). */
let irregular: { store: SqliteStore; runs: ScanOutcome[] };

async function serve(name: keyof typeof ADDRESSES, chain: SampleCertificate[]): Promise<void> {
  await servers.get(name)?.();
  servers.set(name, await serveIdentity({ name, description: name, chain, expectedRules: [] }, ADDRESSES[name], PORT));
}

function plan(startedAt?: Date): ScanPlan {
  const targets = Object.values(ADDRESSES);
  return {
    targetTexts: targets, specs: targets.map((t) => parseTarget(t)), ports: [PORT], exclude: [], files: [], trustAnchors: anchors,
    concurrency: 8, timeouts: { connectMs: 2000, handshakeMs: 5000 },
    fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: { enabled: false, crlUrls: [], crlFiles: [] }, thresholds: { ...DEFAULT_THRESHOLDS },
    ...(startedAt ? { startedAt } : {}),
  };
}

const scan = (store: SqliteStore, startedAt?: Date) => runScan(store, plan(startedAt), { log: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-history-"));
  anchors = join(dir, "anchors.pem");
  await writeFile(anchors, root.pem);
  weekly = { store: new SqliteStore(join(dir, "weekly.db")), runs: [] };
  await serve("early", [leaves.early1, intermediate]);
  await serve("late", [leaves.late1, intermediate]);
  await serve("steady", [leaves.steady, intermediate]);
  weekly.runs.push(await scan(weekly.store, at(-15)));
  await serve("early", [leaves.early2, intermediate]);
  await serve("late", [leaves.late2, intermediate]);
  weekly.runs.push(await scan(weekly.store, at(-7)));
  await serve("steady", [leaves.steady]);
  weekly.runs.push(await scan(weekly.store));
  irregular = { store: new SqliteStore(join(dir, "irregular.db")), runs: [] };
  for (const days of [-26, -19, -12]) irregular.runs.push(await scan(irregular.store, at(days)));
  irregular.runs.push(await scan(irregular.store));
}, 180_000);

afterAll(async () => {
  for (const close of servers.values()) await close();
  await weekly?.store.close();
  await irregular?.store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A run's metrics, with the history the store holds for it (as the scan computed them). */
async function metricsOf(store: SqliteStore, outcome: ScanOutcome): Promise<Record<string, Metric>> {
  return computeMetrics(outcome.view, outcome.conclusions, (await store.runHistory(outcome.run.id)).earlier);
}
const historyMetricsOf = (metrics: Record<string, Metric>) => Object.values(metrics).filter((m) => m.id.startsWith("history."));
const criterion = (outcome: ScanOutcome, id: string): ScoredCriterion =>
  Object.values(outcome.conclusions.maturity!.categories).flatMap((c) => c.criteria).find((c) => c.id === id)!;
const leafOf = (outcome: ScanOutcome, endpoint: string) => {
  const e = outcome.view.endpoints.find((x) => x.id === endpoint)!;
  return { sha256: e.chain[0]!, observedAt: e.observedAt, notAfter: outcome.view.bySha.get(e.chain[0]!)!.record.notAfter };
};
/** Days from the new leaf's first sighting (run `after`) back to the old leaf's expiry (run `before`). */
const leadDays = (before: ScanOutcome, after: ScanOutcome, endpoint: string) =>
  (Date.parse(leafOf(before, endpoint).notAfter) - Date.parse(leafOf(after, endpoint).observedAt)) / DAY;
/** (rule, endpoint) pairs a run's findings name, with the finding. */
const problems = (outcome: ScanOutcome) =>
  new Map(outcome.conclusions.findings.flatMap((f) => f.endpoints.map((e) => [`${f.ruleId}|${e}`, f.id] as [string, string])));

describe("history metrics of repeated scans", () => {
  it("serves what the scenario says: each rotation was seen by the scan after it", () => {
    const [first, second, third] = weekly.runs as [ScanOutcome, ScanOutcome, ScanOutcome];
    expect(leafOf(first, ENDPOINT.early).sha256).not.toBe(leafOf(second, ENDPOINT.early).sha256);
    expect(leafOf(first, ENDPOINT.late).sha256).not.toBe(leafOf(second, ENDPOINT.late).sha256);
    expect(leafOf(second, ENDPOINT.steady).sha256).toBe(leafOf(third, ENDPOINT.steady).sha256);
    expect(third.view.endpoints.find((e) => e.id === ENDPOINT.steady)!.chain).toHaveLength(1);
    expect(weekly.runs.map((r) => r.run.startedAt)).toEqual([at(-15).toISOString(), at(-7).toISOString(), expect.any(String)]);
  });

  it("has no history metric for the first run, and says to scan again", async () => {
    const metrics = historyMetricsOf(await metricsOf(weekly.store, weekly.runs[0]!));
    expect(metrics.length).toBeGreaterThanOrEqual(7);
    for (const m of metrics) expect(m, m.id).toMatchObject({ value: null, notObserved: NO_HISTORY, evidence: [] });
    for (const id of ["governance.steady-scans", "efficiency.renewals-early", "reliability.no-expiry-incidents", "security.no-regressions"]) {
      // What to do first is to scan again; a question may settle it meanwhile.
      expect(criterion(weekly.runs[0]!, id), id).toMatchObject({ status: "not-assessed", notAssessed: expect.stringMatching(new RegExp(`^${NO_HISTORY.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(; or answer [a-z.-]+ in the questionnaire)?$`)) });
    }
  });

  it("measures renewals from the second run, but no cadence from one interval", async () => {
    const [first, second] = weekly.runs as [ScanOutcome, ScanOutcome];
    const metrics = await metricsOf(weekly.store, second);
    const late = leadDays(first, second, ENDPOINT.late);
    expect(late).toBeLessThan(-4.9);
    expect(metrics["history.renewal-lead-days"]!.value).toBeCloseTo(late, 1);
    for (const id of ["history.scan-cadence-days", "history.scan-cadence-regular"]) {
      expect(metrics[id]).toMatchObject({ value: null, notObserved: expect.stringMatching(/one interval, not a cadence/) });
    }
    expect(criterion(second, "governance.steady-scans")).toMatchObject({ status: "not-assessed", notAssessed: expect.stringMatching(/at least 3 times/) });
    expect(criterion(second, "efficiency.renewals-early").status).toBe("failed");
  });

  it("gives renewal lead times, worst renewal first, and the share renewed well before expiry", async () => {
    const [first, second, third] = weekly.runs as [ScanOutcome, ScanOutcome, ScanOutcome];
    const metrics = await metricsOf(weekly.store, third);
    const early = leadDays(first, second, ENDPOINT.early);
    const late = leadDays(first, second, ENDPOINT.late);
    expect(early).toBeGreaterThan(RENEWED_EARLY_DAYS);
    expect(late).toBeLessThan(0);
    const lead = metrics["history.renewal-lead-days"]!;
    // Two renewals: the 10th percentile is the worse one.
    expect(lead).toMatchObject({ count: 2, breakdown: { "endpoints seen twice or more": 3 } });
    expect(lead.value).toBeCloseTo(late, 1);
    expect(lead.breakdown!.median).toBeCloseTo((early + late) / 2, 1);
    expect(lead.evidence).toEqual([
      { kind: "endpoint", id: ENDPOINT.late, run: second.run.id },
      { kind: "endpoint", id: ENDPOINT.early, run: second.run.id },
    ]);
    expect(metrics["history.renewed-early-share"]).toMatchObject({
      value: 0.5, count: 1, total: 2, evidence: [{ kind: "endpoint", id: ENDPOINT.early, run: second.run.id }],
    });
    expect(criterion(third, "efficiency.renewals-early")).toMatchObject({ status: "failed", metrics: { "history.renewed-early-share": 0.5 } });
  });

  it("finds the weekly schedule steady, and an irregular one not", async () => {
    const intervals = (runs: ScanOutcome[]) => runs.slice(1).map((r, i) => (Date.parse(r.run.startedAt) - Date.parse(runs[i]!.run.startedAt)) / DAY);
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    for (const [schedule, expectedSteady] of [[weekly, 1], [irregular, 2 / 3]] as const) {
      const last = schedule.runs[schedule.runs.length - 1]!;
      const metrics = await metricsOf(schedule.store, last);
      const days = intervals(schedule.runs);
      const typical = median(days);
      expect(metrics["history.scan-cadence-days"]!.value).toBeCloseTo(typical, 1);
      const steady = days.filter((d) => Math.abs(d - typical) <= CADENCE_TOLERANCE * typical).length / days.length;
      expect(steady).toBeCloseTo(expectedSteady);
      expect(metrics["history.scan-cadence-regular"]).toMatchObject({ count: Math.round(steady * days.length), total: days.length });
      expect(metrics["history.scan-cadence-regular"]!.value).toBeCloseTo(steady);
      // Each run is cited by an endpoint it saw.
      expect(new Set(metrics["history.scan-cadence-days"]!.evidence.map((e) => e.run))).toEqual(new Set(schedule.runs.map((r) => r.run.id)));
      expect(criterion(last, "governance.steady-scans").status).toBe(expectedSteady >= 0.8 ? "passed" : "failed");
      expect(criterion(last, "governance.frequent-scans").status).toBe("passed");
    }
    expect(criterion(weekly.runs[2]!, "governance.steady-scans").status).toBe("passed");
    // The irregular store's certificates never changed: nothing to measure renewals by.
    const unchanged = await metricsOf(irregular.store, irregular.runs[3]!);
    expect(unchanged["history.renewal-lead-days"]).toMatchObject({ value: null, notObserved: expect.stringMatching(/no endpoint changed its certificate/) });
    expect(criterion(irregular.runs[3]!, "efficiency.renewals-early").status).toBe("not-assessed");
  });

  it("counts the endpoint that served an expired leaf, citing the run it did so in", async () => {
    const [first, , third] = weekly.runs as [ScanOutcome, ScanOutcome, ScanOutcome];
    expect(Date.parse(leafOf(first, ENDPOINT.late).notAfter)).toBeLessThan(Date.parse(leafOf(first, ENDPOINT.late).observedAt));
    const metrics = await metricsOf(weekly.store, third);
    expect(metrics["history.expiry-incidents"]).toMatchObject({
      value: 1, evidence: [{ kind: "endpoint", id: ENDPOINT.late, run: first.run.id }], breakdown: { "runs with an incident": 1 },
    });
    expect(criterion(third, "reliability.no-expiry-incidents")).toMatchObject({
      status: "failed", evidence: [{ kind: "endpoint", id: ENDPOINT.late, run: first.run.id }],
    });
  });

  it("counts problems resolved since earlier runs and those new since an endpoint's previous run", async () => {
    const [first, second, third] = weekly.runs as [ScanOutcome, ScanOutcome, ScanOutcome];
    const metrics = await metricsOf(weekly.store, third);
    const now = problems(third);
    const earlier = new Map([...problems(first), ...problems(second)]);
    const resolved = [...earlier.keys()].filter((p) => !now.has(p));
    expect(metrics["history.findings-resolved-share"]).toMatchObject({ count: resolved.length, total: earlier.size });
    expect(metrics["history.findings-resolved-share"]!.value).toBeCloseTo(resolved.length / earlier.size);
    // The expired leaf of the first run is gone.
    const expired = first.conclusions.findings.find((f) => f.ruleId === "expired" && f.endpoints.includes(ENDPOINT.late))!;
    expect(expired).toBeDefined();
    expect(metrics["history.findings-resolved-share"]!.evidence).toContainEqual({ kind: "finding", id: expired.id, run: first.run.id });
    // The steady endpoint dropped its intermediate: what that raised is new since the second run.
    const before = problems(second);
    const regressions = [...now].filter(([p]) => !before.has(p));
    expect(regressions.some(([p]) => p.endsWith(`|${ENDPOINT.steady}`))).toBe(true);
    expect(metrics["history.regressions"]!.value).toBe(regressions.length);
    expect(metrics["history.regressions"]!.evidence).toEqual(
      expect.arrayContaining([...new Set(regressions.map(([, id]) => id))].map((id) => ({ kind: "finding", id, run: third.run.id }))),
    );
    expect(criterion(third, "security.no-regressions").status).toBe("failed");
    // The second run had none: both renewals replaced leaves whose problems the new ones lack or share.
    const secondMetrics = await metricsOf(weekly.store, second);
    const fresh = [...problems(second)].filter(([p]) => !problems(first).has(p));
    expect(secondMetrics["history.regressions"]!.value).toBe(fresh.length);
  });

  it("cites every piece of history evidence with a run of the history", async () => {
    const third = weekly.runs[2]!;
    const ids = new Set(weekly.runs.map((r) => r.run.id));
    const metrics = historyMetricsOf(await metricsOf(weekly.store, third));
    expect(metrics.flatMap((m) => m.evidence).length).toBeGreaterThan(0);
    for (const m of metrics) for (const ref of m.evidence) expect(ids.has(ref.run!), `${m.id} ${ref.id}`).toBe(true);
  });

  it("reads a stored run's history as the scan saw it", async () => {
    const third = weekly.runs[2]!;
    const history = await weekly.store.runHistory(third.run.id);
    expect(history.earlier.map((r) => r.id)).toEqual(weekly.runs.slice(0, 2).map((r) => r.run.id));
    expect(history.run).toEqual(historyRunOf(third.view, third.conclusions.findings));
    expect(history.run.findings.length).toBeGreaterThan(0);
  });
});
