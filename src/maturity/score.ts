// Scores a run's metrics against a rubric. Per category, each criterion is passed, failed or
// not-assessed (its metric could not be observed, or only people know). A level is reached when
// at least one of its criteria passed and none failed, and every lower level is reached too;
// not-assessed criteria count neither way, so a level is never guessed. They widen the bounds
// (min: as if every one failed, max: as if every one held) and lower the confidence. Caps then
// hold a category down when findings (or metric values) the rubric names are present. A category
// with nothing assessed has level null. Questionnaire answers (declarations) settle only what
// evidence could not: a not-assessed criterion becomes passed ("yes") or failed ("partly", "no"),
// marked self-declared; a criterion evidence assessed keeps its status whatever the answer.
import type { Finding } from "../model/types.js";
import type { Answer, AppliedCap, CategoryScore, CriterionStatus, MaturityCategory, MaturityScore, ScoredCriterion } from "../model/maturity.js";
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import { EVIDENCE_LIMIT, type Metric } from "./metrics.js";
import { type Criterion, type LoadedRubric, compare } from "./rubric.js";

import { LEVEL_LABELS } from "../model/maturity.js";

/** A questionnaire answer that settles a criterion evidence could not assess, keyed by criterion id. */
export interface Declaration {
  question: string;
  answer: Exclude<Answer, "unknown">;
}

/** What the questionnaire brings to scoring: answers that settle criteria, and which questions could. */
export interface QuestionnaireInput {
  /** By criterion id. */
  declarations?: ReadonlyMap<string, Declaration>;
  /** By criterion id: the questions whose answer would settle it, named where the run could not assess it. */
  settledBy?: ReadonlyMap<string, readonly string[]>;
}

export function scoreMaturity(
  metrics: Readonly<Record<string, Metric>>, findings: readonly Finding[], loaded: LoadedRubric,
  { declarations = new Map(), settledBy = new Map() }: QuestionnaireInput = {},
): MaturityScore {
  const categories = Object.fromEntries(MATURITY_CATEGORIES.map((id) => {
    const spec = loaded.rubric.categories[id];
    const criteria = spec.criteria.map((c) => settle(scoreCriterion(c, metrics, settledBy.get(c.id) ?? []), declarations.get(c.id)));
    const caps = spec.caps.flatMap((cap): AppliedCap[] => {
      if (cap.rules) {
        const hits = findings.filter((f) => cap.rules!.includes(f.ruleId)).map((f) => f.id);
        // Cited like metric evidence: the first EVIDENCE_LIMIT, the count complete.
        return hits.length > 0 ? [{ level: cap.level, reason: cap.reason, findings: hits.slice(0, EVIDENCE_LIMIT), findingCount: hits.length }] : [];
      }
      const metric = metrics[cap.metric!];
      const value = metric?.value;
      return value !== null && value !== undefined && compare(value, cap.op!, cap.threshold!)
        ? [{ level: cap.level, reason: cap.reason, findings: [], evidence: metric!.evidence }]
        : [];
    });
    const ceiling = Math.min(4, ...caps.map((c) => c.level));
    const assessed = criteria.filter((c) => c.status !== "not-assessed");
    const uncapped = assessed.length === 0 ? null : reached(criteria, (c) => c.status);
    const level = uncapped === null ? null : Math.min(ceiling, uncapped);
    const bounds = {
      min: Math.min(ceiling, reached(criteria, (c) => (c.status === "not-assessed" ? "failed" : c.status))),
      max: Math.min(ceiling, reached(criteria, (c) => (c.status === "not-assessed" ? "passed" : c.status), true)),
    };
    const nextSteps = spec.criteria
      .filter((c, i) => criteria[i]!.status !== "passed" && c.level <= (level ?? 0) + 1)
      .map((c) => c.nextStep);
    const score: CategoryScore = {
      level, uncapped, label: level === null ? null : LEVEL_LABELS[level]!, bounds,
      confidence: criteria.length === 0 ? 0 : assessed.filter((c) => !c.selfDeclared).length / criteria.length,
      criteria, caps, nextSteps: [...new Set(nextSteps)],
    };
    const movingPast = level === null ? undefined : loaded.rubric.movingPast.find((g) => g.from === level);
    if (movingPast) score.guidance = movingPast;
    return [id, score];
  })) as Record<MaturityCategory, CategoryScore>;
  const levels = Object.values(categories).flatMap((c) => (c.level === null ? [] : [c.level]));
  const overall = levels.length === 0 ? null : Math.min(...levels);
  return {
    categories,
    overall: { level: overall, label: overall === null ? null : LEVEL_LABELS[overall]!, basis: "the lowest level among the categories that could be assessed" },
    rubric: { name: loaded.rubric.name, version: loaded.rubric.version, sha256: loaded.sha256 },
  };
}

function scoreCriterion(c: Criterion, metrics: Readonly<Record<string, Metric>>, questions: readonly string[]): ScoredCriterion {
  const target = c.metric === null ? null : { metric: c.metric, op: c.op!, threshold: c.threshold! };
  const base = { id: c.id, level: c.level, text: c.text, target };
  if (target === null) return { ...base, status: "not-assessed", metrics: {}, evidence: [], notAssessed: c.nextStep };
  const metric = metrics[target.metric];
  const value = metric?.value ?? null;
  if (value === null) {
    const toScan = metric ? metric.notObserved ?? `${target.metric} was not observed` : `metric ${target.metric} is not computed`;
    const toAnswer = questions.length > 0 ? `; or answer ${questions.join(" or ")} in the questionnaire` : "";
    return { ...base, status: "not-assessed", metrics: { [target.metric]: null }, evidence: [], notAssessed: `${toScan}${toAnswer}` };
  }
  return { ...base, status: compare(value, target.op, target.threshold) ? "passed" : "failed", metrics: { [target.metric]: value }, evidence: metric!.evidence };
}

/** An answer settles a criterion only where evidence could not. */
function settle(c: ScoredCriterion, declaration: Declaration | undefined): ScoredCriterion {
  if (!declaration || c.status !== "not-assessed") return c;
  const { notAssessed: _unsettled, ...rest } = c;
  return { ...rest, status: declaration.answer === "yes" ? "passed" : "failed", selfDeclared: { question: declaration.question, answer: declaration.answer } };
}

/**
 * The highest level L such that every level 1..L has a passed criterion and no failed one. A
 * level the rubric gives no criterion is never reached, except for the upper bound
 * (`optimistic`), which nothing then holds down.
 */
function reached(criteria: readonly ScoredCriterion[], status: (c: ScoredCriterion) => CriterionStatus, optimistic = false): number {
  let level = 0;
  for (let l = 1; l <= 4; l++) {
    const statuses = criteria.filter((c) => c.level === l).map(status);
    if (optimistic && statuses.length === 0) {
      level = l;
      continue;
    }
    if (!statuses.includes("passed") || statuses.includes("failed")) break;
    level = l;
  }
  return level;
}
