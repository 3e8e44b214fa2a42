// Benchmark: `pkiscope scan --files` over 100,000 imported certificates (BENCH_IMPORT_CERTS),
// this pkiscope beside an earlier one (BENCH_BASELINE_REF, default the commit before the run
// analysis was rebuilt around one read), each as its own process, wall time and peak RSS.
// Each tool first imports the corpus into its own store (parsing every certificate once: the
// "import" row, beside `openssl storeutl -noout -text -certs` over the same files: issue 12's
// yardstick); the timed runs then scan the same files into that store again, so what is measured
// is the analysis (reading the run, paths, rules, saving) plus reading the files, not certificate
// parsing. The baseline is built in a git worktree under .tmp, sharing node_modules.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, type Benchmark, type ToolMeasurement, boundedInt, formatKiB, formatMs, ratioLine } from "./lib/bench.js";
import { importCorpus, importScanArgs } from "./lib/import-corpus.js";
import { baselineCli } from "./lib/baseline-cli.js";
import { measureCommand, recordRun, runFailure } from "./lib/measure.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { filesSummary, stageTimings, storedRuns } from "./lib/stored-runs.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const WORK = join(REPO_ROOT, ".tmp", "bench");
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
const COUNT = boundedInt(process.env.BENCH_IMPORT_CERTS, 100_000, 1_000, 1_000_000);
/** fa1906d: the last commit before one analysis product per run (issue 7). */
const BASELINE_REF = process.env.BENCH_BASELINE_REF ?? "fa1906d";
const RUN_TIMEOUT_MS = 30 * 60_000;

export const importAnalysis: Benchmark = {
  name: "import-analysis",
  description: `analysis of ${COUNT.toLocaleString("en")} imported certificates (scan --files), this pkiscope vs ${BASELINE_REF}`,
  run,
};

interface Subject {
  row: ToolMeasurement;
  importRow: ToolMeasurement;
  main: string;
  db: string;
}

async function run(): Promise<BenchResult> {
  await mkdir(WORK, { recursive: true });
  process.stderr.write(`bench import-analysis: corpus of ${COUNT.toLocaleString("en")} certificates...\n`);
  const corpus = await importCorpus(WORK, COUNT);
  const failures: string[] = [];
  const notes: string[] = [];
  const current = await pkiscopeCli(REPO_ROOT);
  if (current.warning) notes.push(current.warning);
  const baseline = await baselineCli(REPO_ROOT, WORK, BASELINE_REF);
  const args = (db: string) => importScanArgs(corpus, db);
  const subjects: Subject[] = [];
  for (const [tool, main] of [["pkiscope (this)", current.prefixArgs.at(-1)!], [`pkiscope ${BASELINE_REF}`, baseline]] as const) {
    if (!main) continue;
    const db = join(WORK, `import-${COUNT}-${tool.replace(/\W+/g, "_")}.db`);
    await rm(db, { force: true });
    await rm(`${db}-wal`, { force: true });
    const command = `node ${[main, ...args(db)].join(" ")}`;
    subjects.push({
      main, db,
      row: { tool, command, runsMs: [], peakRssKiB: [], found: "" },
      importRow: { tool: `${tool}, first import`, command, runsMs: [], peakRssKiB: [], found: "" },
    });
  }
  if (!baseline) failures.push(`baseline ${BASELINE_REF} could not be built`);

  const measure = async (s: Subject, into: ToolMeasurement): Promise<void> => {
    const r = await measureCommand(process.execPath, [s.main, ...args(s.db)], { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, scratchDir: WORK });
    if (!recordRun(into, r, runFailure(r, RUN_TIMEOUT_MS), failures)) return;
    into.found = filesSummary(storedRuns(s.db).at(-1)?.stats ?? {});
  };
  // The yardstick of issue 12: openssl decoding and printing every certificate of the same files,
  // one storeutl per file (it reads one URI), its text thrown away; measured before and after the imports.
  const storeutl = `for f in '${corpus.dir}'/*.pem; do openssl storeutl -noout -text -certs "$f" || exit 1; done >/dev/null`;
  const opensslRow: ToolMeasurement = { tool: "openssl storeutl", command: `sh -c '${storeutl}'`, runsMs: [], peakRssKiB: [], found: `${corpus.count + 2} certificates printed` };
  const measureOpenssl = async (): Promise<void> => {
    const r = await measureCommand("sh", ["-c", storeutl], { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, scratchDir: WORK });
    recordRun(opensslRow, r, runFailure(r, RUN_TIMEOUT_MS), failures);
  };
  process.stderr.write("bench import-analysis: openssl storeutl prints the corpus...\n");
  await measureOpenssl();
  for (const s of subjects) {
    process.stderr.write(`bench import-analysis: ${s.row.tool} imports the corpus (parses each certificate once)...\n`);
    await measure(s, s.importRow);
  }
  process.stderr.write("bench import-analysis: openssl storeutl prints the corpus again...\n");
  await measureOpenssl();
  for (let i = 0; i < RUNS; i++) {
    for (const s of i % 2 === 0 ? subjects : [...subjects].reverse()) {
      process.stderr.write(`bench import-analysis: ${s.row.tool}, run ${i + 1} of ${RUNS}...\n`);
      await measure(s, s.row);
    }
  }
  const [mine, theirs] = subjects;
  const comparisons = mine && theirs ? [ratioLine(mine.row, theirs.row)] : [];
  const newest = mine ? storedRuns(mine.db).at(-1) : undefined;
  const stages = newest ? stageTimings(newest.stats) : null;
  if (stages) notes.push(`this pkiscope's stages in its last run: ${stages}`);
  notes.push(
    "Timed runs scan the same files into the store the import filled, so certificates are not parsed again; each run is a new run of that store.",
    `Corpus: an Ed25519 root and issuing CA and ${COUNT.toLocaleString("en")} P-256 server certificates, each with its own key, in ${Math.ceil(COUNT / 1000)} PEM files (${corpus.buildMs === null ? "cached" : `built in ${formatMs(corpus.buildMs)}`}, ${corpus.dir}).`,
  );
  return {
    name: importAnalysis.name,
    title: importAnalysis.description,
    setup: [`this pkiscope: ${current.how}`, `baseline: ${BASELINE_REF} built in ${join(WORK, `baseline-${BASELINE_REF}`)}`, `${RUNS} interleaved runs each`],
    sections: [
      { title: "scan --files again (analysis)", rows: subjects.map((s) => s.row), comparisons },
      {
        title: "first import (parses every certificate) beside openssl storeutl",
        rows: [...subjects.map((s) => s.importRow), opensslRow],
        comparisons: [
          ...(mine ? [ratioLine(mine.importRow, opensslRow), `${mine.importRow.tool} peak RSS ${peakOf(mine.importRow)} (issue 12's bound: 500 MiB)`] : []),
          ...(mine && theirs ? [ratioLine(mine.importRow, theirs.importRow)] : []),
        ],
      },
    ],
    notes,
    failures,
  };
}

function peakOf(row: ToolMeasurement): string {
  const peaks = row.peakRssKiB.filter((kib): kib is number => kib !== null);
  return peaks.length > 0 ? formatKiB(Math.max(...peaks)) : "unknown";
}
