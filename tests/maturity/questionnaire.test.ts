// The questionnaire: the model's 26 questions as data, the answers file (written, read back,
// refused with one clear error when malformed), and verdicts against real scans of the fixture
// organisations: an all-"yes" file is contradicted more by the ad hoc organisation than by the
// transformative one, a "no" is backed by the gaps the scan found, and answers settle only what
// evidence could not assess.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../../rules/index.js";
import { type ScoredRuns, scoreRuns } from "../../src/engine/assess.js";
import { UsageError } from "../../src/errors.js";
import { computeMetrics } from "../../src/maturity/metrics.js";
import { answersTemplate, loadAnswers, loadQuestionnaire } from "../../src/maturity/questionnaire.js";
import { defaultRubricPath, loadRubric } from "../../src/maturity/rubric.js";
import type { QuestionVerdict } from "../../src/model/assessment.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type ScannedOrganisation, scannedOrganisation } from "./organisation-scan.js";

const MODEL = readFileSync(new URL("../../../shared/reference/keyfactor-pki-maturity-model.txt", import.meta.url), "utf8").replace(/\s+/g, " ");
const questionnaire = loadQuestionnaire();
const rubric = loadRubric(defaultRubricPath());
const dir = mkdtempSync(join(tmpdir(), "pkiscope-questionnaire-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The init template with every answer set to one value (as a person filling it in would). */
function answered(value: string, name: string, edit: (text: string) => string = (t) => t): string {
  const path = join(dir, name);
  writeFileSync(path, edit(answersTemplate(questionnaire).replace(/^( {4}answer:).*$/gm, `$1 ${value}`)));
  return path;
}

describe("the questionnaire data", () => {
  const { questions } = questionnaire.data;
  const criteria = Object.values(rubric.rubric.categories).flatMap((c) => c.criteria);

  it("holds the model's 26 questions verbatim, per category as the model groups them", () => {
    expect(questions).toHaveLength(26);
    const perCategory = Object.fromEntries(["reliability", "efficiency", "security", "governance", "agility", "strategy"].map((c) => [c, questions.filter((q) => q.category === c).length]));
    expect(perCategory).toEqual({ reliability: 4, efficiency: 4, security: 4, governance: 4, agility: 5, strategy: 5 });
    for (const q of questions) expect(MODEL, q.id).toContain(`- ${q.text}`);
  });

  it("settles only criteria the rubric has, and every criterion only people can assess is settled by a question its next step names", () => {
    const ids = new Set(criteria.map((c) => c.id));
    for (const q of questions) for (const c of q.settles) expect(ids.has(c), `${q.id} settles ${c}`).toBe(true);
    for (const c of criteria.filter((k) => k.metric === null)) {
      const settling = questions.filter((q) => q.settles.includes(c.id));
      expect(settling.length, c.id).toBeGreaterThan(0);
      expect(settling.some((q) => c.nextStep.includes(q.id)), `${c.id}: "${c.nextStep}"`).toBe(true);
    }
  });

  it("checks only metrics pkiscope computes and rules it has", () => {
    const ruleIds = new Set(RULES.map((r) => r.meta.id));
    const metricIds = new Set(Object.keys(computeMetrics(scanned.transformative.outcome.view, scanned.transformative.outcome.conclusions, [])));
    for (const q of questions) {
      for (const c of q.checks) {
        const metrics = "noFindingsOf" in c ? [] : "anyOf" in c ? c.anyOf.map((k) => k.metric) : [c.metric];
        for (const m of [...metrics, ...q.related]) expect(metricIds.has(m), `${q.id} reads ${m}`).toBe(true);
        if ("noFindingsOf" in c) for (const r of c.noFindingsOf) expect(ruleIds.has(r), `${q.id} names rule ${r}`).toBe(true);
      }
    }
  });
});

/** An answer line of the file (not the header comment that explains answers). */
const ANSWER_YES = "    answer: yes";

describe("the answers file", () => {
  it("is written with every question, its text and claim, a blank answer and comment, and reads back unanswered", () => {
    const text = answersTemplate(questionnaire);
    expect(text).toContain("# pkiscope self-assessment");
    expect(text).toContain("answer: # yes | partly | no | unknown");
    const path = join(dir, "blank.yaml");
    writeFileSync(path, text);
    const loaded = loadAnswers(path, questionnaire);
    expect([...loaded.answers.keys()]).toEqual(questionnaire.data.questions.map((q) => q.id));
    expect([...loaded.answers.values()].every((a) => a.answer === null && a.comment === "")).toBe(true);
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes yes, partly, no and unknown, and YAML 1.1 booleans as yes and no", () => {
    const path = answered("yes", "mixed.yaml", (t) => t.replace(ANSWER_YES, "    answer: partly").replace(ANSWER_YES, "    answer: true").replace(ANSWER_YES, "    answer: false"));
    const answers = [...loadAnswers(path, questionnaire).answers.values()].map((a) => a.answer);
    expect(answers.slice(0, 4)).toEqual(["partly", "yes", "no", "yes"]);
  });

  it.each([
    ["an answer out of the list", (t: string) => t.replace(ANSWER_YES, "    answer: maybe"), /^answers .*\.yaml: at answers\.0\.answer: answer is one of yes, partly, no, unknown, or blank$/],
    ["an unknown question", (t: string) => t.replace("id: reliability.deploy-anywhere", "id: reliability.teleport"), /at answers\.0\.id: no question reliability\.teleport in /],
    ["a question answered twice", (t: string) => t.replace("id: reliability.high-availability", "id: reliability.deploy-anywhere"), /at answers\.1\.id: question reliability\.deploy-anywhere is answered twice/],
    ["an unknown key", (t: string) => t.replace('comment: ""', "coment: oops"), /at answers\.0: .*coment/],
    ["text that is not YAML", () => "answers: [\n  - id: x\n", /^answers .*: not YAML \(/],
  ])("refuses %s with one error naming the file and where", (what, edit, message) => {
    const path = answered("yes", `${what.replace(/\W+/g, "-")}.yaml`, edit);
    expect(() => loadAnswers(path, questionnaire)).toThrow(UsageError);
    expect(() => loadAnswers(path, questionnaire)).toThrow(message);
  });
});

// Real scans: the ad hoc and transformative organisations (no AD CS here; the adcs project adds it).
const scanned = {} as Record<"ad-hoc" | "transformative", ScannedOrganisation>;
beforeAll(async () => {
  scanned["ad-hoc"] = await scannedOrganisation("ad-hoc", { prefix: "127.101.0", port: 9471 });
  scanned.transformative = await scannedOrganisation("transformative", { prefix: "127.103.0", port: 9471 });
}, 300_000);
afterAll(async () => {
  await Promise.all(Object.values(scanned).map((s) => s.stop()));
});

async function assess(kind: keyof typeof scanned, answersPath: string | null): Promise<ScoredRuns> {
  const store = new SqliteStore(scanned[kind].dbPath);
  try {
    return await scoreRuns(store, ["latest"], { rubric, questionnaire, answers: answersPath ? loadAnswers(answersPath, questionnaire) : null });
  } finally {
    await store.close();
  }
}
const verdict = (scored: ScoredRuns, id: string): QuestionVerdict => scored.questions!.find((q) => q.id === id)!;
const contradicted = (scored: ScoredRuns) => scored.questions!.filter((q) => q.verdict === "contradicted").map((q) => q.id);

describe("an all-yes self-assessment held against the evidence", () => {
  it("is contradicted in several places by the ad hoc organisation and in fewer by the transformative one", async () => {
    const yes = answered("yes", "all-yes.yaml");
    const adHoc = await assess("ad-hoc", yes);
    const transformative = await assess("transformative", yes);
    expect(contradicted(adHoc).length).toBeGreaterThanOrEqual(5);
    expect(contradicted(transformative).length).toBeLessThan(contradicted(adHoc).length);
    // The ad hoc organisation's rogue CAs, weak keys, expired leaf and stale CRL each contradict a claim.
    expect(contradicted(adHoc)).toEqual(expect.arrayContaining([
      "governance.inventory", "governance.shadow-it", "security.hardening", "reliability.outages", "governance.cp-cps",
    ]));
    for (const id of ["governance.inventory", "security.hardening", "governance.cp-cps"]) expect(verdict(transformative, id).verdict, id).toBe("supported");
    // Beside the CP/CPS answer, the share of issued certificates pointing to a published CPS.
    expect(verdict(transformative, "governance.cp-cps").related).toEqual({ "policy.cps-share": 1 });
    expect(verdict(adHoc, "governance.cp-cps").related).toEqual({ "policy.cps-share": 0 });
  });

  it("says what the scan found, with the counts and the objects behind a contradiction", async () => {
    const adHoc = await assess("ad-hoc", answered("yes", "all-yes.yaml"));
    const inventory = verdict(adHoc, "governance.inventory");
    const unsanctioned = adHoc.metrics["certificates.unsanctioned-share"]!;
    expect(inventory.explanation).toMatch(/^answered yes \(The certificate inventory is accurate.*\); the scan found /);
    expect(inventory.explanation).toContain(`${unsanctioned.count} of ${unsanctioned.total} certificates in use chain to no sanctioned CA`);
    expect(inventory.explanation).toContain(`${adHoc.metrics["cas.unsanctioned"]!.value} issuing CA(s) no one sanctioned`);
    const failed = inventory.checks.filter((c) => c.holds === false);
    expect(failed.length).toBe(2);
    const certificates = new Set(adHoc.view.certificates.map((c) => c.sha256));
    for (const ref of failed.flatMap((c) => c.evidence)) expect(certificates.has(ref.id), ref.id).toBe(true);
    expect(failed.flatMap((c) => c.evidence).every((ref) => ref.run === scanned["ad-hoc"].runId)).toBe(true);
  });

  it("finds no evidence where only people know, or where the scan could not look", async () => {
    const adHoc = await assess("ad-hoc", answered("yes", "all-yes.yaml"));
    for (const id of ["reliability.dr-testing", "strategy.funding", "efficiency.slas"]) {
      expect(verdict(adHoc, id)).toMatchObject({ verdict: "no-evidence", explanation: expect.stringContaining("only people can tell") });
    }
    // No AD CS was read: the escalation rules had nothing to examine, and there is no history.
    expect(verdict(adHoc, "security.enforcement")).toMatchObject({ verdict: "no-evidence", explanation: expect.stringContaining("could not check it") });
  });
});

describe("answers and levels", () => {
  it("lets answers the evidence does not contradict settle what it could not assess, and nothing else", async () => {
    const yes = answered("yes", "all-yes.yaml");
    const bare = await assess("transformative", null);
    const withAnswers = await assess("transformative", yes);
    const dr = (s: ScoredRuns) => s.maturity.categories.reliability.criteria.find((c) => c.id === "reliability.dr-testing")!;
    expect(dr(bare)).toMatchObject({ status: "not-assessed" });
    expect(dr(withAnswers)).toMatchObject({ status: "passed", selfDeclared: { question: "reliability.dr-testing", answer: "yes" } });
    expect(bare.maturity.categories.strategy.level).toBeNull();
    expect(withAnswers.maturity.categories.strategy).toMatchObject({ level: 4, confidence: 0 });
    // Criteria evidence assessed are untouched.
    for (const id of ["reliability", "security", "governance"] as const) {
      const assessed = (s: ScoredRuns) => s.maturity.categories[id].criteria.filter((c) => !c.selfDeclared).map((c) => [c.id, c.status]);
      expect(assessed(withAnswers), id).toEqual(assessed(bare).filter(([cid]) => !withAnswers.maturity.categories[id].criteria.find((c) => c.id === cid)!.selfDeclared));
    }
  });

  it("never lets a contradicted answer raise a level", async () => {
    const adHoc = await assess("ad-hoc", answered("yes", "all-yes.yaml"));
    // Governance monitoring is contradicted (a stale CRL): its answer settles nothing.
    expect(verdict(adHoc, "governance.monitoring").verdict).toBe("contradicted");
    const audits = adHoc.maturity.categories.governance.criteria.find((c) => c.id === "governance.audits")!;
    expect(audits).toMatchObject({ status: "not-assessed" });
    const bare = await assess("ad-hoc", null);
    for (const id of ["reliability", "efficiency", "security", "governance"] as const) {
      expect(adHoc.maturity.categories[id].level, id).toBe(bare.maturity.categories[id].level);
    }
  });

  it("backs a no with the gaps the scan found, and leaves a no it cannot judge without evidence", async () => {
    const adHoc = await assess("ad-hoc", answered("no", "all-no.yaml"));
    expect(verdict(adHoc, "governance.inventory")).toMatchObject({ verdict: "supported", explanation: expect.stringContaining("the scan shows the gap") });
    const transformative = await assess("transformative", answered("no", "all-no.yaml"));
    expect(verdict(transformative, "governance.inventory")).toMatchObject({ verdict: "no-evidence", explanation: expect.stringContaining("does not show the practice exists") });
    expect(contradicted(transformative)).toEqual([]);
    // A "no" settles its criteria as failed: DR testing holds Reliability below 4.
    expect(transformative.maturity.categories.reliability.criteria.find((c) => c.id === "reliability.dr-testing")).toMatchObject({ status: "failed", selfDeclared: { answer: "no" } });
  });
});
