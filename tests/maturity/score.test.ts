// The rubric and the scoring rules: the shipped rubric validates and quotes the model verbatim;
// a bad rubric is one clear error naming the file and the path in it; levels are never guessed
// (a level is reached only with a passed criterion and no failed one), not-assessed criteria
// widen the bounds, and caps hold a category down with their reason and findings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { Metric } from "../../src/maturity/metrics.js";
import { type Rubric, defaultRubricPath, loadRubric } from "../../src/maturity/rubric.js";
import { scoreMaturity } from "../../src/maturity/score.js";
import type { Finding } from "../../src/model/types.js";

const MODEL = readFileSync(new URL("../../../shared/reference/keyfactor-pki-maturity-model.txt", import.meta.url), "utf8").replace(/\s+/g, " ");
const dir = mkdtempSync(join(tmpdir(), "pkiscope-rubric-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = loadRubric(defaultRubricPath());

function rubricFile(edit: (r: Rubric) => unknown, name = "edited.json"): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(edit(structuredClone(shipped.rubric))));
  return path;
}

const metric = (id: string, value: number | null): Metric => ({ id, description: id, value, evidence: value === null ? [] : [{ kind: "certificate", id: `${id}-evidence` }] });
const metrics = (values: Record<string, number | null>) => Object.fromEntries(Object.entries(values).map(([id, v]) => [id, metric(id, v)]));
const finding = (ruleId: string): Finding => ({ id: `${ruleId}-1`, ruleId, category: "security", severity: "high", message: "", certificate: null, endpoints: [], url: null, evidence: {} });

describe("the shipped rubric", () => {
  it("covers the six categories, and every criterion quotes the model verbatim", () => {
    expect(Object.keys(shipped.rubric.categories)).toEqual(["reliability", "efficiency", "security", "governance", "agility", "strategy"]);
    for (const category of Object.values(shipped.rubric.categories)) {
      for (const c of category.criteria) expect(MODEL, c.id).toContain(c.text.replace(/\s+/g, " "));
    }
    expect(shipped.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("quotes the model's guidance for moving past each level below 4", () => {
    expect(shipped.rubric.movingPast.map((g) => g.from)).toEqual([0, 1, 2, 3]);
    for (const g of shipped.rubric.movingPast) {
      expect(MODEL, `level ${g.from}`).toContain(g.heading);
      for (const step of g.steps) expect(MODEL, `level ${g.from}`).toContain(`- ${step.replace(/\s+/g, " ")}`);
    }
  });
});

describe("bad rubrics", () => {
  it.each([
    ["a criterion without its threshold", (r: Rubric) => { delete (r.categories.reliability.criteria[0] as { threshold?: number }).threshold; return r; }, /at categories\.reliability\.criteria\.0: a criterion that reads a metric needs op and threshold/],
    ["a level out of range", (r: Rubric) => { r.categories.security.criteria[0]!.level = 7; return r; }, /at categories\.security\.criteria\.0\.level: /],
    ["an unknown key", (r: Rubric) => ({ ...r, extra: true }), /at \(top level\): .*extra/i],
    ["a missing category", (r: Rubric) => { delete (r.categories as Partial<Rubric["categories"]>).strategy; return r; }, /at categories\.strategy: /],
  ])("%s: one error naming the file and the path", (_name, edit, message) => {
    const path = rubricFile(edit);
    expect(() => loadRubric(path)).toThrow(UsageError);
    expect(() => loadRubric(path)).toThrow(new RegExp(`^rubric ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${message.source}`));
  });

  it("refuses a file that is not JSON, or is missing", () => {
    const path = join(dir, "broken.json");
    writeFileSync(path, "{ not json");
    expect(() => loadRubric(path)).toThrow(/^rubric .*broken\.json: not JSON/);
    expect(() => loadRubric(join(dir, "absent.json"))).toThrow(/^rubric .*absent\.json: cannot read it \(ENOENT\)/);
  });
});

describe("scoring", () => {
  const healthy = {
    "certificates.expired-share": 0, "crl.fresh-share": 1, "ocsp.available-share": 1,
    "revocation.redundant-ca-share": 1, "cas.expire-before-issued": 0,
  };

  it("reaches a level only when each level up to it has a passed criterion and no failed one", () => {
    const { reliability } = scoreMaturity(metrics(healthy), [], shipped).categories;
    // Levels 1-3 hold; level 4 (DR testing) only the questionnaire can settle, and expiry
    // incidents across runs only a history.
    expect(reliability).toMatchObject({ level: 3, label: "Transformative", bounds: { min: 3, max: 4 } });
    expect(reliability.criteria.find((c) => c.id === "reliability.dr-testing")).toMatchObject({ status: "not-assessed" });
    expect(reliability.criteria.find((c) => c.id === "reliability.no-expiry-incidents")).toMatchObject({ status: "not-assessed" });
    expect(reliability.confidence).toBeCloseTo(6 / 8);
    const failing = scoreMaturity(metrics({ ...healthy, "crl.fresh-share": 0.5 }), [], shipped).categories.reliability;
    expect(failing.level).toBe(1);
    expect(failing.nextSteps.join(" ")).toContain("Publish fresh CRLs");
    // Beside the tailored steps, the model's own guidance for the level reached.
    expect(failing.guidance).toMatchObject({ from: 1, heading: "Rebuild or reinforce the foundation" });
    expect(reliability.guidance).toMatchObject({ from: 3, heading: "Continuously test, monitor, and adapt" });
    expect(scoreMaturity(metrics({}), [], shipped).categories.strategy.guidance).toBeUndefined();
  });

  it("never claims a level none of whose criteria was assessed, and widens the bounds instead", () => {
    // No CRL and no OCSP observed: level 2 still holds on its assessed criterion; with nothing
    // at level 3 observed, 3 is not claimed but remains possible.
    const { reliability } = scoreMaturity(metrics({ "certificates.expired-share": 0, "crl.fresh-share": null, "ocsp.available-share": null }), [], shipped).categories;
    expect(reliability).toMatchObject({ level: 2, bounds: { min: 1, max: 4 } });
    expect(reliability.criteria.find((c) => c.id === "reliability.crls-fresh")).toMatchObject({ status: "not-assessed", metrics: { "crl.fresh-share": null } });
  });

  it("gives a category with nothing observable no level, and bounds 0 to 4", () => {
    const { strategy } = scoreMaturity(metrics({}), [], shipped).categories;
    expect(strategy).toMatchObject({ level: null, label: null, bounds: { min: 0, max: 4 }, confidence: 0 });
    expect(strategy.criteria[0]!.notAssessed).toContain("questionnaire");
  });

  it("applies caps with their reason and the findings behind them", () => {
    const strong = { ...healthy, "cas.issuing": 1, "adcs.online-roots": 0, "keys.weak-share": 0, "signatures.weak-share": 0, "profiles.consistent-ca-share": 1 };
    const clean = scoreMaturity(metrics(strong), [], shipped).categories;
    expect(clean.security.level).toBe(3);
    const esc1 = scoreMaturity(metrics(strong), [finding("adcs-esc1")], shipped).categories.security;
    expect(esc1).toMatchObject({ level: 0, bounds: { min: 0, max: 0 } });
    expect(esc1.caps).toEqual([expect.objectContaining({ level: 0, findings: ["adcs-esc1-1"] })]);
    expect(esc1.caps[0]!.reason).toContain("ESC1");
    const onlineRoot = scoreMaturity(metrics({ ...strong, "adcs.online-roots": 1 }), [], shipped).categories.security;
    expect(onlineRoot.level).toBe(0);
    expect(onlineRoot.caps[0]!.reason).toContain("offline, air-gapped root of trust");
    // A cap reading a metric cites the metric's objects.
    expect(onlineRoot.caps[0]!.evidence).toEqual([{ kind: "certificate", id: "adcs.online-roots-evidence" }]);
    const many = Array.from({ length: 120 }, (_, i) => ({ ...finding("untrusted-issuer"), id: `untrusted-${i}` }));
    const governance = scoreMaturity(metrics(strong), many, shipped).categories.governance;
    expect(governance.caps[0]).toMatchObject({ level: 1, findingCount: 120 });
    expect(governance.caps[0]!.findings).toEqual(many.slice(0, 50).map((f) => f.id));
    const expired = scoreMaturity(metrics(healthy), [finding("expired")], shipped).categories.reliability;
    expect(expired.level).toBe(1);
  });

  it("cites the metric's evidence on each assessed criterion", () => {
    const { reliability } = scoreMaturity(metrics(healthy), [], shipped).categories;
    for (const c of reliability.criteria.filter((x) => x.status !== "not-assessed")) expect(c.evidence.length, c.id).toBeGreaterThan(0);
  });
  it("lets an answer settle what evidence could not, marked self-declared, and never what evidence assessed", () => {
    const history = { "history.expiry-incidents": 0 };
    const declared = new Map([
      ["reliability.dr-testing", { question: "reliability.dr-testing", answer: "yes" as const }],
      // Evidence assessed this one (a stale CRL): the answer changes nothing.
      ["reliability.crls-fresh", { question: "reliability.outages", answer: "yes" as const }],
    ]);
    const { reliability } = scoreMaturity(metrics({ ...healthy, ...history }), [], shipped, { declarations: declared }).categories;
    expect(reliability.criteria.find((c) => c.id === "reliability.dr-testing")).toMatchObject({
      status: "passed", selfDeclared: { question: "reliability.dr-testing", answer: "yes" },
    });
    expect(reliability.criteria.find((c) => c.id === "reliability.dr-testing")!.notAssessed).toBeUndefined();
    expect(reliability).toMatchObject({ level: 4, uncapped: 4, bounds: { min: 4, max: 4 } });
    // Self-declared criteria are not evidence: confidence counts only what the scan assessed.
    expect(reliability.confidence).toBeCloseTo(7 / 8);
    const stale = scoreMaturity(metrics({ ...healthy, ...history, "crl.fresh-share": 0.5 }), [], shipped, { declarations: declared }).categories.reliability;
    expect(stale.criteria.find((c) => c.id === "reliability.crls-fresh")).toMatchObject({ status: "failed" });
    expect(stale.criteria.find((c) => c.id === "reliability.crls-fresh")!.selfDeclared).toBeUndefined();
    expect(stale.level).toBe(1);
    const no = scoreMaturity(metrics({ ...healthy, ...history }), [], shipped, { declarations: new Map([["reliability.dr-testing", { question: "reliability.dr-testing", answer: "partly" as const }]]) }).categories.reliability;
    expect(no.criteria.find((c) => c.id === "reliability.dr-testing")).toMatchObject({ status: "failed" });
    expect(no).toMatchObject({ level: 3, bounds: { min: 3, max: 3 } });
  });

  it("names the questions that would settle what the run could not observe", () => {
    const settledBy = new Map([["reliability.crls-fresh", ["reliability.outages"]]]);
    const { reliability } = scoreMaturity(metrics({ ...healthy, "crl.fresh-share": null }), [], shipped, { settledBy }).categories;
    expect(reliability.criteria.find((c) => c.id === "reliability.crls-fresh")!.notAssessed).toBe("crl.fresh-share was not observed; or answer reliability.outages in the questionnaire");
  });

  it("records the level the criteria support before caps", () => {
    const { reliability } = scoreMaturity(metrics(healthy), [finding("expired")], shipped).categories;
    expect(reliability).toMatchObject({ level: 1, uncapped: 3 });
    expect(reliability.criteria.find((c) => c.id === "reliability.crls-fresh")!.target).toEqual({ metric: "crl.fresh-share", op: ">=", threshold: 1 });
    expect(reliability.criteria.find((c) => c.id === "reliability.dr-testing")!.target).toBeNull();
  });
});
