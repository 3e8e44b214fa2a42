// History metrics: what only several runs of the same endpoints show. Renewal lead times (how long
// before the old leaf expired a new one was first seen), scan cadence (how steadily the targets are
// scanned again), expiry incidents across runs, and findings resolved or newly raised between runs.
// Pure: the engine (or a command scoring stored runs) reads the history from the store
// (Store.runHistory) and passes it. Each metric cites endpoints or findings with the run they were
// seen in; without an earlier run every metric is null with what to do to get one.
import type { InventoryView } from "../inventory/inventory.js";
import type { EvidenceKind, EvidenceRef } from "../model/evidence.js";
import type { CertificateRecord, Finding, RunInfo } from "../model/types.js";
import type { EndpointRow, HistoryEndpoint, HistoryRun, RunHistory } from "../store/store.js";
import { EVIDENCE_LIMIT, type Metric } from "./metrics.js";

const DAY_MS = 86_400_000;

/** A renewal first seen at least this many days before the old leaf expired is "well before expiry". */
export const RENEWED_EARLY_DAYS = 14;
/**
 * history.renewal-lead-days reports this percentile of the lead times (nearest rank), not the
 * median: the model asks for renewals well before expiry "across nearly all endpoints", so the
 * value is what nine renewals in ten achieved (with ten renewals or fewer, the worst one).
 */
export const RENEWAL_LEAD_PERCENTILE = 10;
/** An interval between runs within this fraction of the median interval keeps the cadence steady. */
export const CADENCE_TOLERANCE = 0.5;
/** Runs needed to judge a cadence: two intervals. */
export const CADENCE_MIN_RUNS = 3;

export const NO_HISTORY = "no history yet: scan the same targets again (a scheduled job keeps history)";

const HISTORY_METRICS = {
  "history.renewal-lead-days": `days between a new leaf's first sighting on an endpoint and its predecessor's expiry (${RENEWAL_LEAD_PERCENTILE}th percentile; negative: renewed after expiry)`,
  "history.renewed-early-share": `share of renewals first seen ${RENEWED_EARLY_DAYS} days or more before the replaced leaf expired`,
  "history.scan-cadence-days": "median interval between runs of these endpoints, in days",
  "history.scan-cadence-regular": `share of intervals between runs within ${CADENCE_TOLERANCE * 100}% of the median interval`,
  "history.expiry-incidents": "endpoints seen serving an expired leaf in any run of the history",
  "history.findings-resolved-share": "share of problems (a rule on an endpoint) raised in earlier runs that the latest run no longer has",
  "history.regressions": "problems (a rule on an endpoint) in the latest run that the endpoint's previous run did not have",
} as const;
type HistoryMetricId = keyof typeof HISTORY_METRICS;

/** One appearance of an endpoint in a run. */
interface Sighting extends HistoryEndpoint {
  run: string;
}

/** A rule's finding on one endpoint, keyed "ruleId|endpoint". */
interface Problem {
  finding: string;
  endpoint: string;
}
type Problems = ReadonlyMap<string, Problem>;

/** An endpoint that started serving a leaf it had not served before, in place of the one it served before. */
export interface Renewal {
  endpoint: string;
  /** The run the new leaf was first seen in. */
  run: string;
  /** sha256 of the leaf replaced and of its successor. */
  previous: string;
  current: string;
  /** When the new leaf was first seen (the endpoint's observation in `run`). */
  observedAt: string;
  /** The replaced leaf's expiry. */
  previousNotAfter: string;
  /** Days from `observedAt` to `previousNotAfter`; negative: renewed after the old leaf expired. */
  leadDays: number;
}

/** The history entry of a run being scored, from its view and the findings just concluded (as Store.runHistory reads a stored one). */
export function historyRunOf(view: InventoryView, findings: readonly Finding[]): HistoryRun {
  return historyRunFrom(view.run, view.endpoints, (sha256) => view.bySha.get(sha256)?.record, findings);
}

/** A run's history entry from its parts, as a view or a stored run holds them: what the store's history read returns. */
export function historyRunFrom(
  run: RunInfo, runEndpoints: readonly EndpointRow[], recordOf: (sha256: string) => CertificateRecord | null | undefined, findings: readonly Finding[],
): HistoryRun {
  const endpoints = runEndpoints.filter((e) => e.chain.length > 0).map((e): HistoryEndpoint => {
    const record = recordOf(e.chain[0]!);
    return { id: e.id, observedAt: e.observedAt, leaf: e.chain[0]!, notBefore: record?.notBefore ?? null, notAfter: record?.notAfter ?? null };
  }).sort((a, b) => byCodeUnits(a.id, b.id));
  const served = new Set(endpoints.map((e) => e.id));
  const onEndpoints = findings.flatMap((f) => {
    const on = f.endpoints.filter((id) => served.has(id));
    return on.length > 0 ? [{ id: f.id, ruleId: f.ruleId, endpoints: on }] : [];
  }).sort((a, b) => byCodeUnits(a.id, b.id));
  return { id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt, endpoints, findings: onEndpoints };
}

/** Metrics of a run from its history: `earlier` oldest first, every one started before `run`. */
export function historyMetrics(history: RunHistory): Metric[] {
  if (history.earlier.length === 0) {
    return Object.keys(HISTORY_METRICS).map((id) => unobserved(id as HistoryMetricId, NO_HISTORY));
  }
  const runs = [...history.earlier, history.run];
  const timelines = timelinesOf(runs);
  const revisited = [...timelines.values()].filter((t) => t.length >= 2).length;
  return [...renewalMetrics(renewalsOf(timelines), revisited), ...cadenceMetrics(runs), expiryIncidents(timelines), ...findingMetrics(history)];
}

/** Each endpoint's sightings across `runs` (oldest first), in run order. */
function timelinesOf(runs: readonly HistoryRun[]): Map<string, Sighting[]> {
  const timelines = new Map<string, Sighting[]>();
  for (const run of runs) {
    for (const e of run.endpoints) {
      const timeline = timelines.get(e.id) ?? [];
      timeline.push({ ...e, run: run.id });
      timelines.set(e.id, timeline);
    }
  }
  return timelines;
}

/** The renewals across runs (oldest first), worst lead time first: what history metrics and `pkiscope diff` both count. */
export function renewals(runs: readonly HistoryRun[]): Renewal[] {
  return renewalsOf(timelinesOf(runs));
}

/**
 * An endpoint's leaf changed between two consecutive sightings to one it had not served before.
 * The new leaf was installed at some point before its first sighting, so the lead time is a lower
 * bound, as fine as the scan cadence.
 */
function renewalsOf(timelines: ReadonlyMap<string, Sighting[]>): Renewal[] {
  const found: Renewal[] = [];
  for (const [endpoint, timeline] of timelines) {
    const served = new Set([timeline[0]!.leaf]);
    for (let i = 1; i < timeline.length; i++) {
      const before = timeline[i - 1]!;
      const now = timeline[i]!;
      if (!served.has(now.leaf) && before.notAfter !== null) {
        found.push({
          endpoint, run: now.run, previous: before.leaf, current: now.leaf, observedAt: now.observedAt, previousNotAfter: before.notAfter,
          leadDays: (Date.parse(before.notAfter) - Date.parse(now.observedAt)) / DAY_MS,
        });
      }
      served.add(now.leaf);
    }
  }
  return found.sort((a, b) => a.leadDays - b.leadDays);
}

function renewalMetrics(found: readonly Renewal[], revisited: number): Metric[] {
  if (found.length === 0) {
    const why = "no endpoint changed its certificate between runs: renewals show once certificates are replaced between scans";
    return [unobserved("history.renewal-lead-days", why), unobserved("history.renewed-early-share", why)];
  }
  const leads = found.map((r) => r.leadDays);
  const early = found.filter((r) => r.leadDays >= RENEWED_EARLY_DAYS);
  const cited = (list: readonly Renewal[]) => cite("endpoint", list.map((r) => ({ id: r.endpoint, run: r.run })));
  return [
    {
      ...described("history.renewal-lead-days"), value: tenths(nearestRank(leads, RENEWAL_LEAD_PERCENTILE)),
      count: found.length,
      breakdown: { "endpoints seen twice or more": revisited, worst: tenths(leads[0]!), median: tenths(median(leads)), best: tenths(leads[leads.length - 1]!) },
      // Worst first, so a capped list still names the late renewals.
      evidence: cited(found),
    },
    { ...described("history.renewed-early-share"), value: early.length / found.length, count: early.length, total: found.length, evidence: cited(early) },
  ];
}

function cadenceMetrics(runs: readonly HistoryRun[]): Metric[] {
  if (runs.length < CADENCE_MIN_RUNS) {
    const why = `two runs are one interval, not a cadence: scan the same targets at least ${CADENCE_MIN_RUNS} times (a scheduled job keeps history)`;
    return [unobserved("history.scan-cadence-days", why), unobserved("history.scan-cadence-regular", why)];
  }
  const intervals = runs.slice(1).map((r, i) => ({ run: r, days: (Date.parse(r.startedAt) - Date.parse(runs[i]!.startedAt)) / DAY_MS }));
  const typical = median(intervals.map((i) => i.days));
  const steady = intervals.filter((i) => Math.abs(i.days - typical) <= CADENCE_TOLERANCE * typical);
  // A run is cited by an endpoint it saw (earlier runs hold only endpoints the latest run shares).
  const runRefs = (list: readonly HistoryRun[]) => cite("endpoint", list.flatMap((r) => (r.endpoints[0] ? [{ id: r.endpoints[0].id, run: r.id }] : [])));
  const days = intervals.map((i) => i.days);
  return [
    {
      ...described("history.scan-cadence-days"), value: tenths(typical), count: intervals.length,
      breakdown: { runs: runs.length, shortest: tenths(Math.min(...days)), longest: tenths(Math.max(...days)) },
      evidence: runRefs(runs),
    },
    {
      ...described("history.scan-cadence-regular"), value: steady.length / intervals.length, count: steady.length, total: intervals.length,
      evidence: runRefs(steady.map((i) => i.run)),
    },
  ];
}

function expiryIncidents(timelines: ReadonlyMap<string, Sighting[]>): Metric {
  const incidents = [...timelines].flatMap(([endpoint, timeline]) => {
    const expired = timeline.filter((s) => s.notAfter !== null && Date.parse(s.observedAt) > Date.parse(s.notAfter));
    return expired.length > 0 ? [{ endpoint, runs: expired.map((s) => s.run) }] : [];
  });
  return {
    ...described("history.expiry-incidents"), value: incidents.length,
    breakdown: { "runs with an incident": new Set(incidents.flatMap((i) => i.runs)).size },
    evidence: cite("endpoint", incidents.map((i) => ({ id: i.endpoint, run: i.runs[0]! }))),
  };
}

/**
 * Problems are compared as (rule, endpoint) pairs, not finding ids: a finding's id names its
 * certificate, so a renewed certificate with the same defect is the same problem still there.
 * Findings are cited by their ids, with the run they were raised in.
 */
function findingMetrics({ run, earlier }: RunHistory): Metric[] {
  const problems = (r: HistoryRun): Problems => new Map(r.findings.flatMap((f) =>
    f.endpoints.map((endpoint): [string, Problem] => [`${f.ruleId}|${endpoint}`, { finding: f.id, endpoint }])));
  const now = problems(run);
  // Each earlier problem with the last run that raised it; each endpoint's problems in the last earlier run that saw it.
  const raised = new Map<string, { finding: string; run: string }>();
  const before = new Map<string, Problems>();
  for (const r of earlier) {
    const found = problems(r);
    for (const [problem, { finding }] of found) raised.set(problem, { finding, run: r.id });
    for (const e of r.endpoints) before.set(e.id, found);
  }
  const resolved = [...raised].filter(([problem]) => !now.has(problem)).map(([, at]) => ({ id: at.finding, run: at.run }));
  const regressions = [...now].filter(([problem, { endpoint }]) => before.has(endpoint) && !before.get(endpoint)!.has(problem))
    .map(([, { finding }]) => ({ id: finding, run: run.id }));
  return [
    raised.size === 0
      ? unobserved("history.findings-resolved-share", "no finding was raised on these endpoints in earlier runs: nothing to resolve")
      : { ...described("history.findings-resolved-share"), value: resolved.length / raised.size, count: resolved.length, total: raised.size, evidence: cite("finding", resolved) },
    { ...described("history.regressions"), value: regressions.length, evidence: cite("finding", regressions) },
  ];
}

function described(id: HistoryMetricId): Pick<Metric, "id" | "description"> {
  return { id, description: HISTORY_METRICS[id] };
}

function unobserved(id: HistoryMetricId, notObserved: string): Metric {
  return { ...described(id), value: null, notObserved, evidence: [] };
}

/** Distinct references, in order, at most EVIDENCE_LIMIT. */
function cite(kind: EvidenceKind, items: readonly { id: string; run: string }[]): EvidenceRef[] {
  const seen = new Set<string>();
  const refs: EvidenceRef[] = [];
  for (const { id, run } of items) {
    const key = `${id}\n${run}`;
    if (seen.has(key)) continue;
    seen.add(key);
    refs.push({ kind, id, run });
    if (refs.length === EVIDENCE_LIMIT) break;
  }
  return refs;
}

/** The value at percentile p of ascending `values` by the nearest-rank method. */
function nearestRank(values: readonly number[], p: number): number {
  return values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const tenths = (days: number): number => Math.round(days * 10) / 10;

/** The order SQL's ORDER BY gives text (binary), so a run's history reads alike from the store and from its view. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
