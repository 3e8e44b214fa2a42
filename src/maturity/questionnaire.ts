// The questionnaire self-assessment: the model's 26 questions as data
// (rules/questionnaire/keyfactor-questionnaire.json), an answers file to fill in (YAML, so people
// can comment), and a verdict per question from the evidence. A question's checks are what a
// "yes" claims that a scan can test; a failed check contradicts a "yes" and backs a "no" or
// "partly". A scan can show a gap but not prove a practice, so passing checks support a "yes" and
// leave a "no" without evidence. An answer that evidence does not contradict settles the rubric
// criteria the question names, where evidence could not (self-declared).
import type { Scalar, YAMLMap, YAMLSeq } from "yaml";
import { z } from "zod";
import { ANSWERS, type Answer, MATURITY_CATEGORIES } from "../model/maturity.js";
import type { CheckResult, QuestionVerdict, Verdict } from "../model/assessment.js";
import type { EvidenceRef } from "../model/evidence.js";
import type { RuleOutcome } from "../model/rules.js";
import type { Finding } from "../model/types.js";
import { type DataFile, dataFileError, readDataFile, shippedRulesFile, yamlLibrary } from "./data-file.js";
import type { Metric } from "./metrics.js";
import { compare } from "./rubric.js";
import type { Declaration } from "./score.js";

const comparison = z.enum([">=", "<=", "=="]);
const condition = z.strictObject({ metric: z.string().min(1), op: comparison, threshold: z.number() });
/** `finding` describes a failed check: {value}, {count}, {total}, {percent} and {rules} are filled in. */
const check = z.union([
  condition.extend({ finding: z.string().min(1) }),
  z.strictObject({ anyOf: z.array(condition).min(2), finding: z.string().min(1) }),
  z.strictObject({ noFindingsOf: z.array(z.string().min(1)).min(1), finding: z.string().min(1) }),
]);
const question = z.strictObject({
  id: z.string().regex(/^[a-z]+\.[a-z0-9-]+$/, "ids look like governance.inventory"),
  category: z.enum(MATURITY_CATEGORIES),
  /** The model's question, verbatim. */
  text: z.string().min(1),
  /** What answering "yes" asserts, in words a check can test. */
  claim: z.string().min(1),
  checks: z.array(check),
  /** Rubric criteria an answer settles when evidence could not assess them. */
  settles: z.array(z.string().min(1)),
  /** Metrics shown beside the question for context, without judging it. */
  related: z.array(z.string().min(1)),
}).refine((q) => q.id.startsWith(`${q.category}.`), { message: "a question's id starts with its category" });

const questionnaireSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  model: z.string().min(1),
  answers: z.string().min(1),
  questions: z.array(question).min(1),
});

export type Questionnaire = z.infer<typeof questionnaireSchema>;
export type Question = z.infer<typeof question>;
export type LoadedQuestionnaire = DataFile<Questionnaire>;

export function defaultQuestionnairePath(): string {
  return shippedRulesFile("questionnaire/keyfactor-questionnaire.json", "questionnaire");
}

export function loadQuestionnaire(path: string = defaultQuestionnairePath()): LoadedQuestionnaire {
  const loaded = readDataFile(path, "questionnaire", questionnaireSchema);
  const ids = loaded.data.questions.map((q) => q.id);
  const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (twice >= 0) throw dataFileError("questionnaire", path, ["questions", twice, "id"], `question id ${ids[twice]} is used twice`);
  return loaded;
}

// ---- the answers file ----

export interface GivenAnswer {
  answer: Answer | null;
  comment: string;
}

export interface LoadedAnswers {
  path: string;
  sha256: string;
  /** By question id; questions the file leaves out are absent. */
  answers: Map<string, GivenAnswer>;
}

/** The answers file to fill in: every question with its text, its answer (blank unless given) and a comment. */
export function answersTemplate({ data }: LoadedQuestionnaire, given: ReadonlyMap<string, GivenAnswer> = new Map()): string {
  const doc = new (yamlLibrary().Document)({
    questionnaire: `${data.name} ${data.version}`,
    answers: data.questions.map((q) => ({
      id: q.id, question: q.text, claim: q.claim, answer: given.get(q.id)?.answer ?? null, comment: given.get(q.id)?.comment ?? "",
    })),
  });
  const items = (doc.get("answers") as YAMLSeq<YAMLMap>).items;
  for (const item of items) (item.get("answer", true) as Scalar).comment = ` ${ANSWERS.join(" | ")}`;
  doc.commentBefore = [
    " pkiscope self-assessment: fill in each answer, then run",
    "   pkiscope assess --answers THIS_FILE --db pkiscope.db --run latest --out DIR",
    ` answer: ${data.answers}.`,
    " claim: what a yes asserts; the scan's evidence backs it or contradicts it.",
    " comment: anything an assessor should read (free text).",
  ].join("\n");
  return doc.toString({ lineWidth: 0, nullStr: "" });
}

const answerValue = z.preprocess(
  // YAML 1.1 tools turn yes/no into booleans; take them as meant.
  (v) => (v === true ? "yes" : v === false ? "no" : v === "" ? null : v),
  z.enum(ANSWERS, { message: `answer is one of ${ANSWERS.join(", ")}, or blank` }).nullable(),
);
const answersSchema = z.strictObject({
  questionnaire: z.string().optional(),
  answers: z.array(z.strictObject({
    id: z.string().min(1),
    question: z.string().optional(),
    claim: z.string().optional(),
    answer: answerValue.optional(),
    comment: z.string().nullable().optional(),
  })),
});

/** Reads an answers file; any problem is one UsageError naming the file and where in it. */
export function loadAnswers(path: string, { data }: LoadedQuestionnaire): LoadedAnswers {
  const file = readDataFile(path, "answers", answersSchema, "YAML");
  const known = new Set(data.questions.map((q) => q.id));
  const answers = new Map<string, GivenAnswer>();
  file.data.answers.forEach((a, i) => {
    if (!known.has(a.id)) throw dataFileError("answers", path, ["answers", i, "id"], `no question ${a.id} in ${data.name}`);
    if (answers.has(a.id)) throw dataFileError("answers", path, ["answers", i, "id"], `question ${a.id} is answered twice`);
    answers.set(a.id, { answer: a.answer ?? null, comment: a.comment ?? "" });
  });
  return { path, sha256: file.sha256, answers };
}

// ---- verdicts ----

export interface EvidenceBase {
  metrics: Readonly<Record<string, Metric>>;
  findings: readonly Finding[];
  ruleOutcomes: readonly RuleOutcome[];
}

type Check = Question["checks"][number];

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

function metricValues(m: Metric): Record<string, string | number> {
  const value = m.value ?? 0;
  return { value: Math.round(value * 1000) / 1000, count: m.count ?? value, total: m.total ?? "?", percent: `${Math.round(value * 100)}%` };
}

function judgeCheck(c: Check, base: EvidenceBase): CheckResult {
  if ("noFindingsOf" in c) {
    // Silence proves something only from a rule that examined something.
    const evaluated = base.ruleOutcomes.filter((o) => c.noFindingsOf.includes(o.ruleId) && o.status === "evaluated");
    if (evaluated.length === 0) {
      return { what: `no findings of ${c.noFindingsOf.join(", ")}`, holds: null, values: {}, evidence: [], finding: null, notObserved: "none of these rules had anything to examine in the runs scored" };
    }
    const hits = base.findings.filter((f) => c.noFindingsOf.includes(f.ruleId));
    const rules = [...new Set(hits.map((f) => f.ruleId))].join(", ");
    return {
      what: `no findings of ${c.noFindingsOf.join(", ")}`, holds: hits.length === 0, values: { findings: hits.length },
      evidence: hits.slice(0, 50).map((f): EvidenceRef => ({ kind: "finding", id: f.id })),
      finding: hits.length === 0 ? null : fill(c.finding, { count: hits.length, rules }),
    };
  }
  const conditions = "anyOf" in c ? c.anyOf : [c];
  const what = conditions.map((k) => `${k.metric} ${k.op} ${k.threshold}`).join(" or ");
  const observed = conditions.flatMap((k) => {
    const m = base.metrics[k.metric];
    return m && m.value !== null ? [{ k, m, holds: compare(m.value, k.op, k.threshold) }] : [];
  });
  const values = Object.fromEntries(conditions.map((k) => [k.metric, base.metrics[k.metric]?.value ?? null]));
  const evidence = observed.flatMap((o) => o.m.evidence);
  if (observed.some((o) => o.holds)) return { what, holds: true, values, evidence, finding: null };
  // Any of several signals: a failure counts only when every one was observed.
  if (observed.length === 0 || observed.length < conditions.length) {
    const missing = conditions.filter((k) => !observed.some((o) => o.k === k)).map((k) => base.metrics[k.metric]?.notObserved ?? `metric ${k.metric} is not computed`);
    return { what, holds: null, values, evidence, finding: null, notObserved: missing.join("; ") };
  }
  return { what, holds: false, values, evidence, finding: fill(c.finding, metricValues(observed[0]!.m)) };
}

function verdictOf(answer: Answer | null, checks: readonly CheckResult[]): Verdict {
  const observed = checks.filter((c) => c.holds !== null);
  const failed = observed.some((c) => c.holds === false);
  if (answer === null || answer === "unknown" || observed.length === 0) return "no-evidence";
  if (answer === "yes") return failed ? "contradicted" : "supported";
  // "no" and "partly" say the practice falls short: a gap backs them; clean checks prove no practice.
  return failed ? "supported" : "no-evidence";
}

function explain(q: Question, answer: Answer | null, verdict: Verdict, checks: readonly CheckResult[]): string {
  const gaps = checks.flatMap((c) => (c.holds === false && c.finding ? [c.finding] : []));
  const given = answer === null ? "not answered" : `answered ${answer}`;
  if (verdict === "contradicted") return `${given} (${q.claim.replace(/\.$/, "")}); the scan found ${gaps.join("; ")}.`;
  if (verdict === "supported") {
    return answer === "yes"
      ? `${given}; every check the scan could make agrees: ${checks.filter((c) => c.holds).map((c) => c.what).join("; ")}.`
      : `${given}; the scan shows the gap: ${gaps.join("; ")}.`;
  }
  if (q.checks.length === 0) return `${given}; only people can tell: no scan observes this.`;
  if (checks.every((c) => c.holds === null)) return `${given}; the runs scored could not check it (${checks.map((c) => c.notObserved).join("; ")}).`;
  return answer === null || answer === "unknown"
    ? `${given}; see what the scan found below.`
    : `${given}; the scan found no gap, which does not show the practice exists.`;
}

export function judgeAnswers(loaded: LoadedQuestionnaire, answers: LoadedAnswers | null, base: EvidenceBase): QuestionVerdict[] {
  return loaded.data.questions.map((q) => {
    const given = answers?.answers.get(q.id) ?? { answer: null, comment: "" };
    const checks = q.checks.map((c) => judgeCheck(c, base));
    const verdict = verdictOf(given.answer, checks);
    const related = Object.fromEntries(q.related.map((id) => [id, base.metrics[id]?.value ?? null]));
    return {
      id: q.id, category: q.category, text: q.text, claim: q.claim, answer: given.answer, comment: given.comment,
      verdict, explanation: explain(q, given.answer, verdict, checks), checks, related, settles: q.settles,
    };
  });
}

/** Answers evidence did not contradict, as declarations for the criteria their questions settle. */
export function declarationsFrom(verdicts: readonly QuestionVerdict[]): Map<string, Declaration> {
  const declarations = new Map<string, Declaration>();
  for (const v of verdicts) {
    if (v.answer === null || v.answer === "unknown" || v.verdict === "contradicted") continue;
    for (const criterion of v.settles) if (!declarations.has(criterion)) declarations.set(criterion, { question: v.id, answer: v.answer });
  }
  return declarations;
}

/** By rubric criterion: the questions whose answer settles it. */
export function questionsSettling({ data }: LoadedQuestionnaire): Map<string, string[]> {
  const settling = new Map<string, string[]>();
  for (const q of data.questions) for (const c of q.settles) settling.set(c, [...(settling.get(c) ?? []), q.id]);
  return settling;
}
