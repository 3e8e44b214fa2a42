// Benchmark: scoring the maturity of a stored run of 100,000 imported certificates
// (BENCH_IMPORT_CERTS), `pkiscope maturity`, beside `pkiscope report` of the same run: both read
// the stored run and build its inventory view, so the report is the cost of reading the run and
// the ratio shows what metrics, the rubric and the PKI Consortium mapping add. A second pairing
// scores the union of two runs of the same certificates beside one run. The store is filled by
// two scans of the import-analysis corpus (each scores its run inside the scan: the stage time
// it saved is printed too). Every command is its own process, wall time and peak RSS.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, type Benchmark, type ToolMeasurement, boundedInt, formatMs, ratioLine } from "./lib/bench.js";
import { importCorpus, importScanArgs } from "./lib/import-corpus.js";
import { type MeasuredRun, measureCommand, recordRun, runFailure } from "./lib/measure.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { type StoredRun, filesSummary, stageTimings, storedRuns } from "./lib/stored-runs.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const WORK = join(REPO_ROOT, ".tmp", "bench");
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
const COUNT = boundedInt(process.env.BENCH_IMPORT_CERTS, 100_000, 1_000, 1_000_000);
const RUN_TIMEOUT_MS = 30 * 60_000;
/** The maturity JSON is checked whole; at 100,000 certificates it is a few MB (a cap cites every finding). */
const MATURITY_OUTPUT_LIMIT = 256 * 1024 * 1024;

export const maturityScoring: Benchmark = {
  name: "maturity-scoring",
  description: `maturity of a stored run of ${COUNT.toLocaleString("en")} imported certificates (pkiscope maturity) vs reading and rendering it (pkiscope report)`,
  run,
};

/** One timed command and how its output is checked. */
interface Variant {
  row: ToolMeasurement;
  args: string[];
  /** Keep this much of stdout (default: measureCommand's head and tail). */
  stdoutLimit?: number;
  /** The "found" text of a successful run; throws why its output does not count. */
  check(run: MeasuredRun): string;
}

/** What `pkiscope maturity --format json` prints (the parts checked here). */
interface MaturityOutput {
  runs: string[];
  maturity: { overall: { level: number | null; label: string | null } };
  pkic: { overall: { rating: number | null; coverage: number } } | null;
  metrics: Record<string, { total?: number }>;
}

async function run(): Promise<BenchResult> {
  await mkdir(WORK, { recursive: true });
  process.stderr.write(`bench maturity-scoring: corpus of ${COUNT.toLocaleString("en")} certificates...\n`);
  const corpus = await importCorpus(WORK, COUNT);
  const cli = await pkiscopeCli(REPO_ROOT);
  const notes = cli.warning ? [cli.warning] : [];
  const failures: string[] = [];
  const db = join(WORK, `maturity-${COUNT}.db`);
  for (const suffix of ["", "-wal", "-shm"]) await rm(`${db}${suffix}`, { force: true });
  const pkiscope = (args: readonly string[]): string => `node ${[...cli.prefixArgs, ...args].join(" ")}`;
  const measure = (args: readonly string[], stdoutLimit?: number): Promise<MeasuredRun> =>
    measureCommand(cli.command, [...cli.prefixArgs, ...args], { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, scratchDir: WORK, ...(stdoutLimit ? { stdoutLimit } : {}) });

  // The store: the corpus scanned twice, so there are two runs of the same certificates to unite.
  const scanArgs = importScanArgs(corpus, db);
  const scanRows: ToolMeasurement[] = ["first import (parses every certificate)", "the same files again"].map((what) => (
    { tool: `scan --files, ${what}`, command: pkiscope(scanArgs), runsMs: [], peakRssKiB: [], found: "" }));
  let runs: StoredRun[] = [];
  for (const row of scanRows) {
    process.stderr.write(`bench maturity-scoring: ${row.tool}...\n`);
    const r = await measure(scanArgs);
    if (!recordRun(row, r, runFailure(r, RUN_TIMEOUT_MS), failures)) break;
    runs = storedRuns(db);
    const stats = runs.at(-1)!.stats;
    row.found = `${filesSummary(stats)}; maturity stage ${seconds(stats.timingsMs?.maturity)}`;
  }
  const storeSection = { title: "the store: two scans of the corpus (each scores its run inside the scan)", rows: scanRows, comparisons: [] as string[] };
  const [first, second] = runs;
  if (!first || !second) {
    return result(corpus.dir, cli.how, [storeSection], notes, failures);
  }
  storeSection.comparisons.push(
    `the scan's own maturity stage (metrics, rubric, PKIC mapping over the view it built): ${seconds(first.stats.timingsMs?.maturity)} in the first run, ${seconds(second.stats.timingsMs?.maturity)} in the second`,
  );
  for (const [name, r] of [["first", first], ["second", second]] as const) {
    const stages = stageTimings(r.stats);
    if (stages) notes.push(`stages of the ${name} scan: ${stages}`);
  }

  const scoreOne = maturityVariant("pkiscope maturity, one run", ["--run", "latest"], 1);
  const scoreUnion = maturityVariant("pkiscope maturity, union of two runs", ["--run", first.id, "--run", second.id], 2);
  const report: Variant = {
    row: { tool: "pkiscope report (peer)", command: "", runsMs: [], peakRssKiB: [], found: "" },
    args: ["report", "--db", db, "--run", "latest", "--format", "json", "-q"],
    check(r) {
      // Only the head and tail of a report this size are kept; the summary is near the head.
      const certificates = /"summary": \{[\s\S]*?"certificates": (\d+)/.exec(r.stdoutHead)?.[1];
      if (certificates === undefined) throw new Error("no summary with a certificate count at the head of the report");
      return `${Number(certificates).toLocaleString("en")} certificates in the report; ${mib(r.stdoutBytes)} of JSON`;
    },
  };
  const variants = [scoreOne, report, scoreUnion];
  for (const v of variants) v.row.command = pkiscope(v.args);

  for (let i = 0; i < RUNS; i++) {
    // The order alternates, so no command always runs right after another.
    for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
      process.stderr.write(`bench maturity-scoring: ${v.row.tool}, run ${i + 1} of ${RUNS}...\n`);
      const r = await measure(v.args, v.stdoutLimit);
      recordRun(v.row, r, runFailure(r, RUN_TIMEOUT_MS) ?? checkFailure(v, r), failures, ` (run ${i + 1})`);
    }
  }
  if (scoreOne.inUse !== null && scoreUnion.inUse !== null && scoreOne.inUse !== scoreUnion.inUse) {
    failures.push(`the union of two runs of the same files counts ${scoreUnion.inUse} certificates in use, one run ${scoreOne.inUse}`);
  }

  notes.push(
    "pkiscope maturity reads the stored run(s), builds the inventory view (for two runs, their union: 2 × the sightings, the same certificates), computes the metrics with the newest run's history, scores the rubric and the PKI Consortium mapping, and prints JSON.",
    "pkiscope report reads the same stored run, builds the same view and renders the JSON report (every certificate): the cost of reading the run, beside which the ratio shows what scoring adds.",
    "The one-run row is the same measurements in both pairings. No warm-up: the store was just written and is in the page cache.",
    `Corpus: the import-analysis corpus, an Ed25519 root and issuing CA and ${COUNT.toLocaleString("en")} P-256 server certificates in ${Math.ceil(COUNT / 1000)} PEM files (${corpus.buildMs === null ? "cached" : `built in ${formatMs(corpus.buildMs)}`}), not anchored: every certificate counts as unsanctioned.`,
  );
  return result(corpus.dir, cli.how, [
    { title: "score one stored run vs read and render it", rows: [scoreOne.row, report.row], comparisons: [ratioLine(scoreOne.row, report.row)] },
    { title: "score the union of two runs of the same certificates vs one run", rows: [scoreUnion.row, scoreOne.row], comparisons: [ratioLine(scoreUnion.row, scoreOne.row)] },
    storeSection,
  ], notes, failures);

  function maturityVariant(tool: string, runArgs: string[], expectedRuns: number): Variant & { inUse: number | null } {
    const variant: Variant & { inUse: number | null } = {
      inUse: null,
      row: { tool, command: "", runsMs: [], peakRssKiB: [], found: "" },
      args: ["maturity", "--db", db, ...runArgs, "--format", "json", "-q"],
      stdoutLimit: MATURITY_OUTPUT_LIMIT,
      check(r) {
        const out = JSON.parse(r.stdout) as MaturityOutput;
        if (out.runs.length !== expectedRuns) throw new Error(`scored ${out.runs.length} run(s), expected ${expectedRuns}`);
        if (!out.pkic) throw new Error("no PKI Consortium rating");
        const certificates = out.metrics["certificates.unsanctioned-share"]?.total;
        if (certificates === undefined || certificates < COUNT) throw new Error(`${certificates ?? "no"} certificates in use, expected at least ${COUNT}`);
        variant.inUse = certificates;
        const { level, label } = out.maturity.overall;
        const pkic = out.pkic.overall.rating;
        return `${out.runs.length} run(s), ${certificates.toLocaleString("en")} certificates in use; overall ${level ?? "not assessed"} ${label ?? ""}, PKIC ${pkic === null ? "not rated" : pkic.toFixed(2)} (coverage ${Math.round(out.pkic.overall.coverage * 100)}%); ${mib(r.stdoutBytes)} of JSON`;
      },
    };
    return variant;
  }
}

/** Why a successful run's output does not count (and the row's "found" set when it does), or null. */
function checkFailure(v: Variant, r: MeasuredRun): string | null {
  try {
    v.row.found = v.check(r);
    return null;
  } catch (err) {
    return `unexpected output (${r.stdoutBytes} bytes): ${(err as Error).message}`;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "not recorded" : `${(ms / 1000).toFixed(2)} s`;
}

function result(corpusDir: string, how: string, sections: BenchResult["sections"], notes: string[], failures: string[]): BenchResult {
  return {
    name: maturityScoring.name,
    title: maturityScoring.description,
    setup: [`pkiscope: ${how}`, `corpus: ${corpusDir}`, `${RUNS} interleaved runs of each command, order alternating`],
    sections,
    notes,
    failures,
  };
}
