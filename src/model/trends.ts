// Trends in a report: how a series of runs (the same profile, or the same targets without one, as
// `pkiscope diff` pairs them) moved, run by run, and what of the current run expires in the next
// weeks. The engine reads earlier runs' saved conclusions (src/engine/trends.ts); the report model
// carries the result and the renderers only draw it.
import type { SeenSpan } from "./diff.js";
import { MATURITY_CATEGORIES, type MaturityCategory, type MaturityScore } from "./maturity.js";

/** A level per category and overall; null: not assessed (or the run was scored before maturity existed). */
export type MaturityLevels = Record<MaturityCategory | "overall", number | null>;

/** One run of the series as the trends show it. */
export interface TrendRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  maturity: MaturityLevels;
  /** Findings the run concluded. */
  findings: number;
  /** Findings (by stable id) that the previous run of the series did not have; null without a previous run. */
  opened: number | null;
  /** Findings of the previous run (by stable id) that this run no longer has; null without a previous run. */
  resolved: number | null;
}

/** Certificates in service that expire in one 7-day window after the validation time. */
export interface ExpiryWeek {
  /** 1 for the first 7 days after the validation time, up to EXPIRY_WEEKS. */
  week: number;
  /** The window: from (inclusive) to (exclusive). */
  from: string;
  to: string;
  /** How many expire in it. */
  count: number;
  /** Their sha256, soonest first, at most EVIDENCE_LIMIT. */
  certificates: string[];
}

/** How many weeks ahead expiries are counted: a quarter. */
export const EXPIRY_WEEKS = 13;

export interface Trends {
  /** Earlier complete runs of the series, oldest first, then the reported run (always last). */
  runs: TrendRun[];
  /** EXPIRY_WEEKS windows, week 1 first. */
  expiring: ExpiryWeek[];
}

/** What a report adds from the store beyond its own run: its series' runs, and first and last seen of its objects. */
export interface ReportHistory {
  /** As Trends.runs. */
  runs: TrendRun[];
  certificateSpans: ReadonlyMap<string, SeenSpan>;
  endpointSpans: ReadonlyMap<string, SeenSpan>;
}

export function maturityLevels(score: MaturityScore | null): MaturityLevels {
  const levels = Object.fromEntries(MATURITY_CATEGORIES.map((c) => [c, score?.categories[c].level ?? null]));
  return { ...levels, overall: score?.overall.level ?? null } as MaturityLevels;
}

/** A run's trend entry from its findings' stable ids and, when there is one, the previous run's. */
export function trendRun(
  run: Pick<TrendRun, "id" | "startedAt" | "finishedAt" | "complete">, maturity: MaturityLevels,
  findingIds: ReadonlySet<string>, previousFindingIds: ReadonlySet<string> | null,
): TrendRun {
  const missingFrom = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].filter((id) => !b.has(id)).length;
  return {
    id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt, complete: run.complete, maturity, findings: findingIds.size,
    opened: previousFindingIds === null ? null : missingFrom(findingIds, previousFindingIds),
    resolved: previousFindingIds === null ? null : missingFrom(previousFindingIds, findingIds),
  };
}
