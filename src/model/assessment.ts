// A questionnaire self-assessment held against the evidence of one or more runs: what the reports
// of `pkiscope assess` (assessment.json, .html, .md) show.
import type { EvidenceRef } from "./evidence.js";
import type { Answer, MaturityCategory, MaturityScore } from "./maturity.js";
import type { PkicAssessment } from "./pkic.js";

export type Verdict = "supported" | "contradicted" | "no-evidence";

/** One thing a "yes" claims that the scan could test. */
export interface CheckResult {
  /** The condition, e.g. "certificates.unsanctioned-share <= 0". */
  what: string;
  /** null: the runs scored could not observe it. */
  holds: boolean | null;
  values: Record<string, number | null>;
  evidence: EvidenceRef[];
  /** What the scan found against the claim, when the check failed. */
  finding: string | null;
  notObserved?: string;
}

export interface QuestionVerdict {
  id: string;
  category: MaturityCategory;
  /** The model's question. */
  text: string;
  /** What answering "yes" asserts. */
  claim: string;
  /** null: not answered. */
  answer: Answer | null;
  comment: string;
  verdict: Verdict;
  explanation: string;
  checks: CheckResult[];
  /** Metrics shown for context, not judged. */
  related: Record<string, number | null>;
  /** Rubric criteria the answer settles where evidence could not. */
  settles: string[];
}

export interface Assessment {
  schemaVersion: 1;
  generatedAt: string;
  questionnaire: { name: string; version: string; sha256: string };
  answers: { path: string; sha256: string } | null;
  runs: { id: string; startedAt: string; targets: string[] }[];
  summary: Record<Verdict | "unanswered", number>;
  questions: QuestionVerdict[];
  /** The levels with the answers that evidence did not contradict settling what it could not assess. */
  maturity: MaturityScore;
  pkic: PkicAssessment | null;
  /** What to call each object cited, keyed "kind id": a subject, an endpoint, a URL, a rule and its message. */
  labels: Record<string, string>;
}
