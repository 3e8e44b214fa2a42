// What a rule is, as data: its metadata (saved with every run, so an old report keeps the texts
// it was written with), the thresholds it reads, and what happened when it ran.
import type { Category, Severity } from "./types.js";

/** A tunable number a rule reads, declared beside the rule with its default and CLI option. */
export interface ThresholdSpec {
  /** Key in the run's thresholds, e.g. "expiryDays". */
  key: string;
  default: number;
  /** The scan option that sets it, e.g. "--expiry-days". */
  option: string;
  /** What it means, for --help and reports. */
  description: string;
}

export interface RuleMeta {
  id: string;
  title: string;
  category: Category;
  /** Default severity; a finding may raise or lower it with a reason in its evidence. */
  severity: Severity;
  rationale: string;
  remediation: string;
  references: string[];
  thresholds?: ThresholdSpec[];
}

/**
 * What one rule did in one run. `evaluated`: it looked at `examined` objects and raised
 * `findings` (0 means checked and clean); `not-applicable`: the run held nothing it looks at
 * (no CRL read, no AD CS source), which says nothing either way; `failed`: it threw, on
 * `failures` objects (or on the whole inventory), so its silence proves nothing.
 */
export interface RuleOutcome {
  ruleId: string;
  status: "evaluated" | "not-applicable" | "failed";
  examined: number;
  findings: number;
  failures: number;
}
