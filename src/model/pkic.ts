// The PKI Consortium PKI Maturity Model (PKIMM) ratings pkiscope suggests beside the main model:
// for every requirement of the PKIC model either a level 1-5 suggested by the scan's metrics, or
// the mark that only an interview can assess it; per category, module and overall the weighted
// average the PKIC model defines (requirement weights within a category, category weights
// above), over what the evidence rated, with the share of weight it covers and the range the
// unrated requirements leave open.
import type { EvidenceRef } from "./evidence.js";

export type PkicLevel = 1 | 2 | 3 | 4 | 5;

/** evidence: the mapping reads metrics for it; interview: only people can tell. */
export type PkicAssessmentKind = "evidence" | "interview";

/**
 * rated: the evidence suggests a level. not-assessed: an evidence requirement whose metrics the
 * run could not observe, or whose observed values match none of the mapped levels; never guessed.
 */
export type PkicRequirementStatus = "rated" | "not-assessed" | "interview";

/** holds: every condition holds. fails: an observed value fails one. not-observed: neither, a metric is missing. */
export type PkicRuleStatus = "holds" | "fails" | "not-observed";

export interface PkicConditionResult {
  metric: string;
  op: ">=" | "<=" | "==";
  threshold: number;
  /** null when the run did not observe the metric. */
  value: number | null;
}

export interface PkicRuleResult {
  level: PkicLevel;
  /** Why the mapping suggests this level when the conditions hold. */
  basis: string;
  status: PkicRuleStatus;
  conditions: PkicConditionResult[];
}

export interface PkicRange {
  min: number;
  max: number;
}

export interface PkicRequirementRating {
  /** The PKIC model's id, category.requirement ("5.2"). */
  id: string;
  name: string;
  weight: number;
  assessment: PkicAssessmentKind;
  status: PkicRequirementStatus;
  /** The highest level whose rule holds; null unless rated. */
  suggestedLevel: PkicLevel | null;
  /**
   * Rated: from the suggested level up to the highest level a rule not observed could add.
   * Otherwise the whole scale, 1-5: nothing the scan saw narrows it.
   */
  bounds: PkicRange;
  /** The metrics the requirement's rules read, with their values (null: not observed). */
  metrics: Record<string, number | null>;
  /** What those metrics cite. */
  evidence: EvidenceRef[];
  rules: PkicRuleResult[];
  /** Why this level and why not higher, or why it is not assessed. */
  why: string;
  /** For metrics the run could not observe: what to scan to observe them. */
  toObserve: string[];
}

/** A weighted average over parts, as the PKIC model aggregates. */
export interface PkicAggregate {
  /** Over the parts the evidence rated; null when it rated none. */
  rating: number | null;
  /** Share of the weight the evidence rated (0-1). */
  coverage: number;
  /** The rating if every unrated requirement were rated 1 (min) or 5 (max), the rated ones as suggested. */
  bounds: PkicRange;
}

export interface PkicCategoryRating extends PkicAggregate {
  id: string;
  module: string;
  name: string;
  weight: number;
  requirements: PkicRequirementRating[];
  /** Ids of the requirements only an interview can assess. */
  interviewOnly: string[];
  /** Ids of the evidence requirements this run could not rate. */
  notAssessed: string[];
}

export interface PkicModuleRating extends PkicAggregate {
  id: string;
  name: string;
  /** Ids of its categories. */
  categories: string[];
}

export interface PkicAssessment {
  model: { name: string; version: string };
  mapping: { name: string; version: string; sha256: string };
  categories: PkicCategoryRating[];
  modules: PkicModuleRating[];
  /** Over the categories, by category weight (the PKIC model's overall maturity). */
  overall: PkicAggregate;
}
