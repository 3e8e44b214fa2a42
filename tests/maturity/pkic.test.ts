// The PKI Consortium mapping: the shipped mapping names every requirement of the PKIC model's
// YAML once, with its name and weight, and reads only metrics pkiscope computes; ratings are
// weighted averages as the PKIC model defines them (checked against hand computations and the
// model's own worked example); what the run did not observe is not assessed, never a low level;
// a bad mapping is one clear error naming the file and the path in it; evidence comes through,
// and on a real scan of the sample network cites objects the scan saw.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../../src/engine/scan.js";
import { UsageError } from "../../src/errors.js";
import { type InventoryView, buildInventoryView } from "../../src/inventory/inventory.js";
import { silentLogger } from "../../src/log.js";
import { type Metric, computeMetrics } from "../../src/maturity/metrics.js";
import { type PkicMapping, defaultPkicMappingPath, loadPkicMapping, scorePkic } from "../../src/maturity/pkic.js";
import type { EvidenceRef } from "../../src/model/evidence.js";
import type { PkicAssessment } from "../../src/model/pkic.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

interface YamlModel {
  version: string;
  modules: { id: string; name: string; categories: { id: string; name: string; weight: number; requirements: { id: string; description: string; weight: number }[] }[] }[];
}
const MODEL = parse(readFileSync(new URL("../../../shared/reference/pkic-pkimm-model-1.1.0.yaml", import.meta.url), "utf8")) as YamlModel;

const dir = mkdtempSync(join(tmpdir(), "pkiscope-pkic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = loadPkicMapping();

function mappingFile(mapping: unknown, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(mapping));
  return path;
}

const metric = (id: string, value: number | null, evidence: EvidenceRef[] = [], notObserved?: string): Metric =>
  ({ id, description: id, value, evidence, ...(notObserved ? { notObserved } : {}) });
const byId = (...list: Metric[]) => Object.fromEntries(list.map((m) => [m.id, m]));

/** What the metrics stage computes for a run that saw nothing: every metric, each null. */
const nothingObserved = computeMetrics(buildInventoryView({
  run: { id: "empty", startedAt: "2025-01-01T00:00:00.000Z", finishedAt: null, complete: false, targets: [], ports: [], options: {}, stats: {} },
  endpoints: [], sightings: [], certificates: [], snapshots: [], paths: [], anchors: [], crls: [], ocsp: [],
}, {}, new Date("2025-01-01T00:00:00.000Z")), { findings: [] });

describe("the shipped mapping", () => {
  it("names every requirement of the PKIC model's YAML exactly once, with its name and weight, and nothing else", () => {
    const { data } = shipped;
    expect(data.model.version).toBe(MODEL.version);
    expect(data.modules).toEqual(MODEL.modules.map((m) => ({ id: m.id, name: m.name })));
    const fromYaml = MODEL.modules.flatMap((m) => m.categories.map((c) => ({
      id: c.id, module: m.id, name: c.name, weight: c.weight,
      requirements: c.requirements.map((r) => ({ id: `${c.id}.${r.id}`, name: r.description, weight: r.weight })),
    })));
    expect(data.categories.map(({ requirements, ...c }) => ({ ...c, requirements: requirements.map(({ id, name, weight }) => ({ id, name, weight })) })))
      .toEqual(fromYaml);
    expect(fromYaml).toHaveLength(16);
    const ids = data.categories.flatMap((c) => c.requirements.map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(shipped.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rates from evidence the requirements the issue names, and leaves the rest to interviews", () => {
    const evidence = shipped.data.categories.flatMap((c) => c.requirements).filter((r) => r.assessment === "evidence").map((r) => r.id);
    expect(evidence).toEqual(expect.arrayContaining(["5.2", "5.4", "5.6", "6.2", "7.1", "7.4", "7.5", "10.4", "11.1", "13.4"]));
    // Strategy, compliance, sourcing, training and awareness are what people know.
    for (const category of ["1", "3", "14", "15", "16"]) {
      expect(shipped.data.categories.find((c) => c.id === category)!.requirements.every((r) => r.assessment === "interview"), category).toBe(true);
    }
  });

  it("reads only metrics the metrics stage computes", () => {
    const read = shipped.data.categories.flatMap((c) => c.requirements).flatMap((r) => r.assessment === "evidence" ? r.rules.flatMap((k) => k.when.map((w) => w.metric)) : []);
    expect(read.length).toBeGreaterThan(0);
    expect([...new Set(read)].filter((id) => !(id in nothingObserved))).toEqual([]);
  });

  it("is found from the installation", () => {
    expect(defaultPkicMappingPath()).toMatch(/rules[\\/]maturity[\\/]pkic-mapping\.json$/);
  });
});

describe("weighted ratings", () => {
  // Two modules, three categories; m.share 0.7 observed, n.count null, k.days never computed.
  const mapping: PkicMapping = {
    name: "test mapping", version: "1", model: { name: "PKIC", version: "1.1.0" },
    modules: [{ id: "A", name: "Alpha" }, { id: "B", name: "Beta" }],
    categories: [
      { id: "1", module: "A", name: "One", weight: 3, requirements: [
        { id: "1.1", name: "share", weight: 3, assessment: "evidence", rules: [
          { level: 2, when: [{ metric: "m.share", op: ">=", threshold: 0.5 }], basis: "half" },
          { level: 4, when: [{ metric: "m.share", op: ">=", threshold: 0.9 }], basis: "nearly all" },
        ] },
        { id: "1.2", name: "people", weight: 1, assessment: "interview" },
        { id: "1.3", name: "count", weight: 2, assessment: "evidence", rules: [
          { level: 3, when: [{ metric: "n.count", op: ">=", threshold: 2 }], basis: "two" },
        ] },
      ] },
      { id: "2", module: "A", name: "Two", weight: 1, requirements: [
        { id: "2.1", name: "open above", weight: 4, assessment: "evidence", rules: [
          { level: 2, when: [{ metric: "m.share", op: ">=", threshold: 0.5 }], basis: "half" },
          { level: 5, when: [{ metric: "m.share", op: ">=", threshold: 0.5 }, { metric: "k.days", op: "<=", threshold: 30 }], basis: "half, and fast" },
        ] },
        { id: "2.2", name: "exact", weight: 1, assessment: "evidence", rules: [
          { level: 3, when: [{ metric: "m.share", op: ">=", threshold: 0.6 }], basis: "most" },
        ] },
      ] },
      { id: "3", module: "B", name: "Three", weight: 2, requirements: [{ id: "3.1", name: "people", weight: 1, assessment: "interview" }] },
    ],
  };
  const loaded = loadPkicMapping(mappingFile(mapping, "weighted.json"));
  const assessment = scorePkic(byId(metric("m.share", 0.7), metric("n.count", null, [], "scan n")), loaded);
  const [one, two, three] = assessment.categories;
  const requirement = (id: string) => assessment.categories.flatMap((c) => c.requirements).find((r) => r.id === id)!;

  it("suggests the highest level whose rule holds, bounded by the rules the run could not observe", () => {
    expect(requirement("1.1")).toMatchObject({ status: "rated", suggestedLevel: 2, bounds: { min: 2, max: 2 } });
    expect(requirement("1.1").why).toMatch(/^level 2: half \(m\.share = 0\.7 \(>= 0\.5\)\); not level 4: m\.share = 0\.7 \(>= 0\.9\)$/);
    expect(requirement("2.1")).toMatchObject({ status: "rated", suggestedLevel: 2, bounds: { min: 2, max: 5 }, toObserve: ["k.days: not measured in this assessment"] });
    expect(requirement("2.1").why).toContain("level 5 not assessed: k.days not observed");
    expect(requirement("2.2")).toMatchObject({ suggestedLevel: 3, bounds: { min: 3, max: 3 } });
  });

  it("averages a category's requirements by the PKIC requirement weights, over those the evidence rated", () => {
    // 1.1 rated 2 (weight 3); 1.2 interview and 1.3 not assessed (weights 1 and 2) count only in coverage and bounds.
    expect(one).toMatchObject({ rating: 2, coverage: 3 / 6, interviewOnly: ["1.2"], notAssessed: ["1.3"] });
    expect(one!.bounds.min).toBeCloseTo((3 * 2 + 1 * 1 + 2 * 1) / 6);
    expect(one!.bounds.max).toBeCloseTo((3 * 2 + 1 * 5 + 2 * 5) / 6);
    // 2.1 rated 2 (weight 4, up to 5), 2.2 rated 3 (weight 1).
    expect(two!.rating).toBeCloseTo((4 * 2 + 1 * 3) / 5);
    expect(two!.coverage).toBe(1);
    expect(two!.bounds).toEqual({ min: expect.closeTo(11 / 5), max: expect.closeTo((4 * 5 + 1 * 3) / 5) });
    expect(three).toMatchObject({ rating: null, coverage: 0, bounds: { min: 1, max: 5 }, interviewOnly: ["3.1"], notAssessed: [] });
  });

  it("averages modules and the whole over categories by the PKIC category weights", () => {
    const [alpha, beta] = assessment.modules;
    expect(alpha!.categories).toEqual(["1", "2"]);
    expect(alpha!.rating).toBeCloseTo((3 * 2 + 1 * 2.2) / 4);
    expect(alpha!.coverage).toBeCloseTo((3 * 0.5 + 1 * 1) / 4);
    expect(alpha!.bounds.min).toBeCloseTo((3 * 1.5 + 1 * 2.2) / 4);
    expect(alpha!.bounds.max).toBeCloseTo((3 * 3.5 + 1 * 4.6) / 4);
    expect(beta).toMatchObject({ rating: null, coverage: 0, categories: ["3"] });
    // The whole: categories weighted 3, 1, 2; the rating over the two the evidence rated.
    expect(assessment.overall.rating).toBeCloseTo((3 * 2 + 1 * 2.2) / 4);
    expect(assessment.overall.coverage).toBeCloseTo((3 * 0.5 + 1 * 1 + 2 * 0) / 6);
    expect(assessment.overall.bounds.min).toBeCloseTo((3 * 1.5 + 1 * 2.2 + 2 * 1) / 6);
    expect(assessment.overall.bounds.max).toBeCloseTo((3 * 3.5 + 1 * 4.6 + 2 * 5) / 6);
    expect(assessment.mapping).toEqual({ name: "test mapping", version: "1", sha256: loaded.sha256 });
  });

  it("reproduces the PKIC scoring model's worked example: levels 4, 3, 4 weighted 4.5, 2, 1 give 28 / 7.5", () => {
    const at = (lvl: number) => [{ level: lvl, when: [{ metric: "m.share", op: ">=" as const, threshold: 0 }], basis: `level ${lvl}` }];
    const example = loadPkicMapping(mappingFile({
      ...mapping, modules: [{ id: "A", name: "Alpha" }],
      categories: [{ id: "1", module: "A", name: "C", weight: 4, requirements: [
        { id: "1.1", name: "r1", weight: 4.5, assessment: "evidence", rules: at(4) },
        { id: "1.2", name: "r2", weight: 2, assessment: "evidence", rules: at(3) },
        { id: "1.3", name: "r3", weight: 1, assessment: "evidence", rules: at(4) },
      ] }],
    }, "example.json"));
    const category = scorePkic(byId(metric("m.share", 1)), example).categories[0]!;
    expect(category.rating).toBeCloseTo(28 / 7.5);
    expect(category.rating!.toFixed(2)).toBe("3.73");
  });
});

describe("what the run did not observe", () => {
  it("leaves every evidence requirement not assessed, with what to scan, never a level", () => {
    const assessment = scorePkic(nothingObserved, shipped);
    const requirements = assessment.categories.flatMap((c) => c.requirements);
    for (const r of requirements.filter((k) => k.assessment === "evidence")) {
      expect(r, r.id).toMatchObject({ status: "not-assessed", suggestedLevel: null, bounds: { min: 1, max: 5 }, evidence: [] });
      // Counts the stage reports as 0 over nothing (cas.expire-before-issued) sit beside a share it could not observe.
      expect(r.rules.every((k) => k.status === "not-observed"), r.id).toBe(true);
      expect(Object.values(r.metrics), r.id).toContain(null);
      expect(r.toObserve.length, r.id).toBeGreaterThan(0);
      expect(r.why, r.id).toBe("not assessed: the run observed none of the metrics it reads");
    }
    expect(requirements.find((r) => r.id === "5.2")!.toObserve).toContain(`keys.weak-share: ${nothingObserved["keys.weak-share"]!.notObserved}`);
    for (const c of assessment.categories) expect(c, c.id).toMatchObject({ rating: null, coverage: 0, bounds: { min: 1, max: 5 } });
    expect(assessment.overall).toEqual({ rating: null, coverage: 0, bounds: { min: 1, max: 5 } });
  });

  it("treats a metric id the run never computed like one it could not observe", () => {
    const rating = scorePkic({}, shipped).categories.find((c) => c.id === "5")!.requirements.find((r) => r.id === "5.2")!;
    expect(rating).toMatchObject({ status: "not-assessed", suggestedLevel: null });
    expect(rating.toObserve).toContain("keys.weak-share: not measured in this assessment");
  });

  it("does not count a level whose metric is missing, and says what would settle it", () => {
    // Weak crypto observed clean, profiles not observed: 5.2 is 3, possibly 4.
    const assessment = scorePkic(byId(
      metric("keys.weak-share", 0), metric("signatures.weak-share", 0),
      metric("profiles.consistent-ca-share", null, [], "no CA issued two or more of the certificates collected"),
    ), shipped);
    const rating = assessment.categories.find((c) => c.id === "5")!.requirements.find((r) => r.id === "5.2")!;
    expect(rating).toMatchObject({ status: "rated", suggestedLevel: 3, bounds: { min: 3, max: 4 } });
    expect(rating.toObserve).toEqual(["profiles.consistent-ca-share: no CA issued two or more of the certificates collected"]);
    expect(rating.rules.find((r) => r.level === 4)!.status).toBe("not-observed");
  });

  it("leaves a requirement not assessed when what was observed matches none of its levels", () => {
    // Every endpoint on TLS 1.2: still widely approved, so it says nothing about protocol governance (5.3).
    const rating = scorePkic(byId(metric("tls.v13-share", 0)), shipped).categories.find((c) => c.id === "5")!.requirements.find((r) => r.id === "5.3")!;
    expect(rating).toMatchObject({ status: "not-assessed", suggestedLevel: null, bounds: { min: 1, max: 5 } });
    expect(rating.why).toMatch(/^not assessed: what the run observed matches none of the levels/);
  });
});

describe("evidence", () => {
  it("carries the evidence of the metrics a requirement reads, once each, with the run it was seen in", () => {
    const weakKey = { kind: "certificate" as const, id: "aa".repeat(32), run: "run-1" };
    const weakSig = { kind: "certificate" as const, id: "bb".repeat(32), run: "run-2" };
    const assessment = scorePkic(byId(
      metric("keys.weak-share", 0.5, [weakKey]),
      metric("signatures.weak-share", 0.5, [weakKey, weakSig]),
      metric("profiles.consistent-ca-share", 1, [{ kind: "certificate", id: "cc".repeat(32) }]),
    ), shipped);
    const rating = assessment.categories.find((c) => c.id === "5")!.requirements.find((r) => r.id === "5.2")!;
    expect(rating).toMatchObject({ status: "rated", suggestedLevel: 1 });
    expect(rating.metrics).toEqual({ "keys.weak-share": 0.5, "signatures.weak-share": 0.5, "profiles.consistent-ca-share": 1 });
    expect(rating.evidence).toEqual([weakKey, weakSig, { kind: "certificate", id: "cc".repeat(32) }]);
    const interview = assessment.categories.find((c) => c.id === "5")!.requirements.find((r) => r.id === "5.1")!;
    expect(interview).toMatchObject({ assessment: "interview", status: "interview", suggestedLevel: null, evidence: [], metrics: {} });
  });
});

describe("bad mappings", () => {
  const edited = (edit: (m: PkicMapping) => unknown) => edit(structuredClone(shipped.data));
  const evidenceAt = (m: PkicMapping, id: string) => {
    const r = m.categories.flatMap((c) => c.requirements).find((k) => k.id === id)!;
    if (r.assessment !== "evidence") throw new Error(`${id} is not an evidence requirement`);
    return r;
  };
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  it.each([
    ["a level out of range", (m: PkicMapping) => { evidenceAt(m, "5.2").rules[0]!.level = 6; return m; }, /at categories\.4\.requirements\.1\.rules\.0\.level: /],
    ["a rule without conditions", (m: PkicMapping) => { evidenceAt(m, "5.2").rules[0]!.when = []; return m; }, /at categories\.4\.requirements\.1\.rules\.0\.when: /],
    ["an unknown comparison", (m: PkicMapping) => { (evidenceAt(m, "5.2").rules[0]!.when[0] as { op: string }).op = ">"; return m; }, /at categories\.4\.requirements\.1\.rules\.0\.when\.0\.op: /],
    ["an evidence requirement without rules", (m: PkicMapping) => { delete (evidenceAt(m, "5.2") as { rules?: unknown }).rules; return m; }, /at categories\.4\.requirements\.1\.rules: /],
    ["an unknown assessment", (m: PkicMapping) => { (m.categories[0]!.requirements[0] as { assessment: string }).assessment = "guess"; return m; }, /at categories\.0\.requirements\.0\.assessment: /],
    ["an unknown key", (m: PkicMapping) => ({ ...m, extra: true }), /at \(top level\): .*extra/i],
    ["a requirement filed under another category", (m: PkicMapping) => { m.categories[1]!.requirements[0]!.id = "1.9"; return m; }, /at categories\.1\.requirements\.0\.id: requirement 1\.9 is not in category 2$/],
    ["a requirement listed twice", (m: PkicMapping) => { m.categories[0]!.requirements[1]!.id = "1.1"; return m; }, /at categories\.0\.requirements\.1\.id: requirement 1\.1 is listed twice$/],
    ["a category of no module", (m: PkicMapping) => { m.categories[0]!.module = "X"; return m; }, /at categories\.0\.module: no module X in modules$/],
    ["a module with no category", (m: PkicMapping) => { m.modules.push({ id: "X", name: "Extra" }); return m; }, /at modules\.4: module X has no category$/],
  ])("%s: one error naming the file and the path", (name, edit, message) => {
    const path = mappingFile(edited(edit), `${name.replace(/\W+/g, "-")}.json`);
    expect(() => loadPkicMapping(path)).toThrow(UsageError);
    expect(() => loadPkicMapping(path)).toThrow(new RegExp(`^PKIC mapping ${escaped(path)}: ${message.source}`));
  });

  it("refuses a file that is not JSON, or is missing", () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(() => loadPkicMapping(broken)).toThrow(new RegExp(`^PKIC mapping ${escaped(broken)}: not JSON`));
    expect(() => loadPkicMapping(join(dir, "absent.json"))).toThrow(/^PKIC mapping .*absent\.json: cannot read it \(ENOENT\)$/);
  });
});

describe("a real scan of the sample network", () => {
  let network: SampleNetwork;
  let view: InventoryView;
  let metrics: Record<string, Metric>;
  let assessment: PkicAssessment;
  const scanDir = mkdtempSync(join(tmpdir(), "pkiscope-pkic-scan-"));

  beforeAll(async () => {
    network = await startSampleNetwork({ prefix: "127.85.7", port: 9458, workDir: scanDir });
    const store = new SqliteStore(join(scanDir, "store.db"));
    try {
      const outcome = await runScan(store, sampleScanPlan(network, 1000), { log: silentLogger, signal: new AbortController().signal });
      view = outcome.view;
      metrics = computeMetrics(outcome.view, outcome.conclusions);
      assessment = scorePkic(metrics, shipped);
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    await network?.close();
    rmSync(scanDir, { recursive: true, force: true });
  });

  it("rates requirements from the scan's metrics, with the values it read", () => {
    const rated = assessment.categories.flatMap((c) => c.requirements).filter((r) => r.status === "rated");
    expect(rated.length).toBeGreaterThan(0);
    for (const r of rated) {
      for (const [id, value] of Object.entries(r.metrics)) expect(value, `${r.id} ${id}`).toBe(metrics[id]?.value ?? null);
    }
    // The sample network serves weak keys in service: the algorithm requirements stay at level 1 whatever else holds.
    const weakShare = metrics["keys.weak-share"]!.value!;
    expect(weakShare).toBeGreaterThanOrEqual(0.1);
    for (const id of ["5.2", "7.2", "10.4"]) expect(rated.find((r) => r.id === id), id).toMatchObject({ suggestedLevel: 1 });
    // No AD CS was scanned: the online-root requirement says what to scan.
    const separation = assessment.categories.find((c) => c.id === "8")!.requirements.find((r) => r.id === "8.2")!;
    expect(separation).toMatchObject({ status: "not-assessed", toObserve: [`adcs.online-roots: ${metrics["adcs.online-roots"]!.notObserved}`] });
  });

  it("cites only objects the scan saw", () => {
    const seen = new Set([
      ...view.certificates.map((c) => `certificate|${c.sha256}`),
      ...view.endpoints.map((e) => `endpoint|${e.id}`),
      ...view.crls.map((c) => `crl|${c.url}`),
      ...view.ocsp.flatMap((o) => (o.url ? [`ocsp-responder|${o.url}`] : [])),
    ]);
    const cited = assessment.categories.flatMap((c) => c.requirements).flatMap((r) => r.evidence);
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.filter((e) => !seen.has(`${e.kind}|${e.id}`))).toEqual([]);
  });
});
