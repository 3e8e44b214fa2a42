// Maturity levels as every stage after scoring sees them: the score of each category of the
// Keyfactor PKI maturity model, with the criteria, evidence and caps behind it. Saved with each
// run's conclusions, so an old report keeps the levels (and rubric) it was scored with.
import type { EvidenceRef } from "./evidence.js";

export const MATURITY_CATEGORIES = ["reliability", "efficiency", "security", "governance", "agility", "strategy"] as const;
export type MaturityCategory = (typeof MATURITY_CATEGORIES)[number];

export const LEVEL_LABELS = ["Ad Hoc", "Limited", "Foundational", "Transformative", "Resilient"] as const;

export type CriterionStatus = "passed" | "failed" | "not-assessed";

/** How a questionnaire answer was given: `yes` holds a criterion, `partly` and `no` do not. */
export const ANSWERS = ["yes", "partly", "no", "unknown"] as const;
export type Answer = (typeof ANSWERS)[number];

export interface ScoredCriterion {
  id: string;
  level: number;
  text: string;
  status: CriterionStatus;
  /** What the criterion reads and must meet (null: only people know, the questionnaire settles it; absent in runs scored before it was recorded). */
  target?: { metric: string; op: "<=" | ">=" | "=="; threshold: number } | null;
  metrics: Record<string, number | null>;
  evidence: EvidenceRef[];
  /** For not-assessed criteria: what to scan or answer. */
  notAssessed?: string;
  /** Set when no evidence could settle it and a questionnaire answer did: the status is self-declared. */
  selfDeclared?: { question: string; answer: Answer };
}

export interface AppliedCap {
  level: number;
  reason: string;
  /** The findings that apply a cap naming rules (the first 50; `findingCount` has them all). */
  findings: string[];
  findingCount?: number;
  /** The objects behind a cap that reads a metric (an online root's enterprise CA). */
  evidence?: EvidenceRef[];
}

export interface CategoryScore {
  level: number | null;
  /** The level the criteria alone support, before caps (null when nothing was assessed; absent in runs scored before it was recorded). */
  uncapped?: number | null;
  label: string | null;
  bounds: { min: number; max: number };
  /** Share of the category's criteria that evidence assessed (self-declared answers do not count). */
  confidence: number;
  criteria: ScoredCriterion[];
  caps: AppliedCap[];
  /** Tailored to the criteria not passed at the next level (and below). */
  nextSteps: string[];
  /** The model's own guidance for moving past this level, quoted (absent at level 4, with no level, or in runs scored before it was recorded). */
  guidance?: { from: number; heading: string; steps: string[] };
}

export interface MaturityScore {
  categories: Record<MaturityCategory, CategoryScore>;
  overall: { level: number | null; label: string | null; basis: string };
  rubric: { name: string; version: string; sha256: string };
}
