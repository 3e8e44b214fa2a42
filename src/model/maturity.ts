// Maturity levels as every stage after scoring sees them: the score of each category of the
// Keyfactor PKI maturity model, with the criteria, evidence and caps behind it. Saved with each
// run's conclusions, so an old report keeps the levels (and rubric) it was scored with.
import type { EvidenceRef } from "./evidence.js";

export const MATURITY_CATEGORIES = ["reliability", "efficiency", "security", "governance", "agility", "strategy"] as const;
export type MaturityCategory = (typeof MATURITY_CATEGORIES)[number];

export const LEVEL_LABELS = ["Ad Hoc", "Limited", "Foundational", "Transformative", "Resilient"] as const;

export type CriterionStatus = "passed" | "failed" | "not-assessed";

export interface ScoredCriterion {
  id: string;
  level: number;
  text: string;
  status: CriterionStatus;
  metrics: Record<string, number | null>;
  evidence: EvidenceRef[];
  /** For not-assessed criteria: what to scan or answer. */
  notAssessed?: string;
}

export interface AppliedCap {
  level: number;
  reason: string;
  findings: string[];
}

export interface CategoryScore {
  level: number | null;
  label: string | null;
  bounds: { min: number; max: number };
  /** Share of the category's criteria that the run could assess. */
  confidence: number;
  criteria: ScoredCriterion[];
  caps: AppliedCap[];
  nextSteps: string[];
}

export interface MaturityScore {
  categories: Record<MaturityCategory, CategoryScore>;
  overall: { level: number | null; label: string | null; basis: string };
  rubric: { name: string; version: string; sha256: string };
}
