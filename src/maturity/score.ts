// Scores a run's metrics against a rubric. Per category, each criterion is passed, failed or
// not-assessed (its metric could not be observed, or only people know). A level is reached when
// at least one of its criteria passed and none failed, and every lower level is reached too;
// not-assessed criteria count neither way, so a level is never guessed. They widen the bounds
// (min: as if every one failed, max: as if every one held) and lower the confidence. Caps then
// hold a category down when findings (or metric values) the rubric names are present. A category
// with nothing assessed has level null.
import type { Finding } from "../model/types.js";
import type { AppliedCap, CategoryScore, CriterionStatus, MaturityCategory, MaturityScore, ScoredCriterion } from "../model/maturity.js";
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import type { Metric } from "./metrics.js";
import { type Criterion, type LoadedRubric, compare } from "./rubric.js";

import { LEVEL_LABELS } from "../model/maturity.js";

export function scoreMaturity(metrics: Readonly<Record<string, Metric>>, findings: readonly Finding[], loaded: LoadedRubric): MaturityScore {
  const categories = Object.fromEntries(MATURITY_CATEGORIES.map((id) => {
    const spec = loaded.rubric.categories[id];
    const criteria = spec.criteria.map((c) => scoreCriterion(c, metrics));
    const caps = spec.caps.flatMap((cap): AppliedCap[] => {
      if (cap.rules) {
        const hits = findings.filter((f) => cap.rules!.includes(f.ruleId)).map((f) => f.id);
        return hits.length > 0 ? [{ level: cap.level, reason: cap.reason, findings: hits }] : [];
      }
      const value = metrics[cap.metric!]?.value;
      return value !== null && value !== undefined && compare(value, cap.op!, cap.threshold!) ? [{ level: cap.level, reason: cap.reason, findings: [] }] : [];
    });
    const ceiling = Math.min(4, ...caps.map((c) => c.level));
    const assessed = criteria.filter((c) => c.status !== "not-assessed");
    const level = assessed.length === 0 ? null : Math.min(ceiling, reached(criteria, (c) => c.status));
    const bounds = {
      min: Math.min(ceiling, reached(criteria, (c) => (c.status === "not-assessed" ? "failed" : c.status))),
      max: Math.min(ceiling, reached(criteria, (c) => (c.status === "not-assessed" ? "passed" : c.status), true)),
    };
    const nextSteps = spec.criteria
      .filter((c, i) => criteria[i]!.status !== "passed" && c.level <= (level ?? 0) + 1)
      .map((c) => c.nextStep);
    const score: CategoryScore = {
      level, label: level === null ? null : LEVEL_LABELS[level]!, bounds,
      confidence: criteria.length === 0 ? 0 : assessed.length / criteria.length,
      criteria, caps, nextSteps: [...new Set(nextSteps)],
    };
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

function scoreCriterion(c: Criterion, metrics: Readonly<Record<string, Metric>>): ScoredCriterion {
  const base = { id: c.id, level: c.level, text: c.text };
  if (c.metric === null) return { ...base, status: "not-assessed", metrics: {}, evidence: [], notAssessed: c.nextStep };
  const metric = metrics[c.metric];
  const value = metric?.value ?? null;
  if (value === null) {
    return { ...base, status: "not-assessed", metrics: { [c.metric]: null }, evidence: [], notAssessed: metric?.notObserved ?? `metric ${c.metric} is not computed` };
  }
  return { ...base, status: compare(value, c.op!, c.threshold!) ? "passed" : "failed", metrics: { [c.metric]: value }, evidence: metric!.evidence };
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
