// What a report reads from the store beyond its own run: the trend of its series (earlier complete
// runs of the same profile, or of the same targets without one, paired as `pkiscope diff` pairs
// runs) from their saved conclusions, never analysed again, and when the store first and last saw
// each certificate and endpoint of the run. Both stop at the reported run, so a run's report reads
// alike whenever it is rendered.
import type { InventoryView } from "../inventory/inventory.js";
import { type ReportHistory, type TrendRun, maturityLevels, trendRun } from "../model/trends.js";
import { DEFAULT_HISTORY_RUNS, type RunConclusions, type Store } from "../store/store.js";
import { sameSeries } from "./diff.js";

/** Earlier runs a trend shows at most (with the reported run, one more). */
export const TREND_RUNS = DEFAULT_HISTORY_RUNS;

export async function readReportHistory(store: Store, view: InventoryView, conclusions: Pick<RunConclusions, "findings" | "maturity">): Promise<ReportHistory> {
  const run = view.run;
  const runs = await store.listRuns();
  const index = runs.findIndex((r) => r.id === run.id);
  // One run more than is shown: the first one shown is compared with it.
  const earlier = runs.slice(0, Math.max(index, 0)).filter((r) => r.complete && sameSeries(run, r)).slice(-(TREND_RUNS + 1));
  const digests = await store.conclusionDigests(earlier.map((r) => r.id));
  const trend: TrendRun[] = [];
  let previous: ReadonlySet<string> | null = null;
  for (const r of earlier) {
    const digest = digests.get(r.id);
    const findingIds = new Set(digest?.findingIds ?? []);
    trend.push(trendRun(r, digest?.maturity ?? maturityLevels(null), findingIds, previous));
    previous = findingIds;
  }
  trend.push(trendRun(run, maturityLevels(conclusions.maturity), new Set(conclusions.findings.map((f) => f.id)), previous));
  const through = { through: run.id };
  return {
    runs: trend.slice(-(TREND_RUNS + 1)),
    certificateSpans: await store.seenSpans("certificate", view.certificates.map((c) => c.sha256), through),
    endpointSpans: await store.seenSpans("endpoint", view.endpoints.map((e) => e.id), through),
  };
}
