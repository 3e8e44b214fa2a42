// What the benchmarks read back from a store a measured pkiscope wrote: each run's id and the
// statistics it saved (collector tallies, certificates parsed, the wall time of every stage).
// Read straight from SQLite, read-only, so checking a run costs the measured process nothing.
import Database from "better-sqlite3";
import { formatMs } from "./bench.js";

export interface StoredRunStats {
  collectors?: Record<string, Record<string, number>>;
  certificatesParsed?: number;
  /** Wall time of each stage of the scan, in ms (src/engine/scan.ts). */
  timingsMs?: Record<string, number>;
}

export interface StoredRun {
  id: string;
  stats: StoredRunStats;
}

/** The store's runs, oldest first. */
export function storedRuns(db: string): StoredRun[] {
  const store = new Database(db, { readonly: true });
  try {
    const rows = store.prepare("SELECT id, stats FROM runs ORDER BY started_at, rowid").all() as { id: string; stats: string }[];
    return rows.map((r) => ({ id: r.id, stats: JSON.parse(r.stats) as StoredRunStats }));
  } finally {
    store.close();
  }
}

/** "collection 1.20 s, load 800 ms, …": every stage's wall time, or null when the run recorded none. */
export function stageTimings(stats: StoredRunStats): string | null {
  return stats.timingsMs ? Object.entries(stats.timingsMs).map(([k, v]) => `${k} ${formatMs(v)}`).join(", ") : null;
}

/** "100002 certificates, 101 files; 100002 parsed": what the files collector read in the run. */
export function filesSummary(stats: StoredRunStats): string {
  const files = stats.collectors?.files ?? {};
  return `${Object.entries(files).map(([k, v]) => `${v} ${k}`).join(", ")}; ${stats.certificatesParsed ?? 0} parsed`;
}
