// Shared shape of every benchmark run by bench/run.ts, and the common printer. A benchmark is a
// measurement, never a test: no thresholds, no timed asserts. It reports what it measured and
// lists failures only when a tool could not run at all (which makes `npm run bench` exit 1).

/** One tool (or one variant of a tool) measured over several runs. */
export interface ToolMeasurement {
  tool: string;
  /** The exact command line (or call) that was timed. */
  command: string;
  /** Wall time of each successful run, in ms, in the order they ran. */
  runsMs: number[];
  /** Peak resident set size of each successful run, in KiB (null when it could not be read). */
  peakRssKiB: (number | null)[];
  /** What the tool found, e.g. "20/20 TLS endpoints" (checked, so the comparison is honest). */
  found: string;
  /** Set when the tool could not run or its output could not be used. */
  error?: string;
}

export interface BenchSection {
  title: string;
  rows: ToolMeasurement[];
  /** Free lines printed under the table, typically ratios. */
  comparisons: string[];
}

export interface BenchResult {
  name: string;
  title: string;
  /** What was set up and how (targets, endpoints, options): printed before the tables. */
  setup: string[];
  sections: BenchSection[];
  /** Fairness caveats and anything a reader must know to interpret the numbers. */
  notes: string[];
  /** A tool failed to run or was unavailable: `npm run bench` exits non-zero. */
  failures: string[];
}

export interface Benchmark {
  name: string;
  description: string;
  /** External commands the benchmark compares against; bench/run.ts installs them if missing. */
  requires?: string[];
  run(): Promise<BenchResult>;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "-";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function formatKiB(kib: number | null): string {
  if (kib === null) return "-";
  return kib >= 1024 * 1024 ? `${(kib / 1024 / 1024).toFixed(2)} GiB` : `${(kib / 1024).toFixed(0)} MiB`;
}

/** "pkiscope took 0.42× nmap's time" style line; null when either side has no median. */
export function ratioLine(a: ToolMeasurement, b: ToolMeasurement): string {
  const ma = median(a.runsMs);
  const mb = median(b.runsMs);
  if (ma === null || mb === null || mb === 0) return `ratio ${a.tool}/${b.tool}: not available (a tool has no successful run)`;
  const r = ma / mb;
  const other = r < 1 ? ` (${(mb / ma).toFixed(2)}× faster)` : r > 1 ? ` (${r.toFixed(2)}× slower)` : "";
  return `${a.tool} took ${r.toFixed(2)}× ${b.tool}'s time${other}: median ${formatMs(ma)} vs ${formatMs(mb)}`;
}

export function printResult(result: BenchResult, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  const line = (s = ""): void => write(`${s}\n`);
  line(`== ${result.name}: ${result.title}`);
  for (const s of result.setup) line(`   ${s}`);
  for (const section of result.sections) {
    line();
    line(`-- ${section.title}`);
    const header = ["tool", "median wall", "runs", "each run", "peak RSS (max)", "found"];
    const body = section.rows.map((r) => {
      const rss = r.peakRssKiB.filter((v): v is number => v !== null);
      return [
        r.tool,
        formatMs(median(r.runsMs)),
        String(r.runsMs.length),
        r.runsMs.length > 0 ? r.runsMs.map((ms) => formatMs(ms)).join(", ") : "-",
        rss.length > 0 ? formatKiB(Math.max(...rss)) : "-",
        r.error ? `${r.found} [${r.error}]` : r.found,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
    const fmt = (row: string[]): string => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
    line(`   ${fmt(header)}`);
    line(`   ${widths.map((w, i) => "-".repeat(i === widths.length - 1 ? header[i]!.length : w)).join("  ")}`);
    for (const row of body) line(`   ${fmt(row)}`);
    for (const c of section.comparisons) line(`   ${c}`);
    line();
    line("   commands:");
    for (const r of section.rows) line(`     ${r.tool}: ${r.command}`);
  }
  if (result.notes.length > 0) {
    line();
    line("   notes:");
    for (const n of result.notes) line(`   - ${n}`);
  }
  if (result.failures.length > 0) {
    line();
    for (const f of result.failures) line(`   FAILED: ${f}`);
  }
  line();
}

/** A whole number from an environment variable, clamped to [min, max]; the fallback when unset or not a number. */
export function boundedInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = text === undefined ? fallback : Number(text);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
