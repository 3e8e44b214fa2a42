// Benchmark: `pkiscope report` of a stored run of 100,000 imported certificates (BENCH_IMPORT_CERTS),
// this pkiscope beside an earlier one (BENCH_REPORT_BASELINE_REF, default the commit before
// report.json was streamed and report.html capped), each as its own process, wall time and peak
// RSS: report.json written as a stream vs as one string, and report.html with its caps vs every
// row. Peers read the JSON this pkiscope wrote: `jq -c .` parses and prints it, `cat` copies it.
// The store is filled by one scan of the import-analysis corpus; both pkiscopes read that run (the
// baseline a copy labelled with its older schema: bench/lib/baseline-store.ts).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, type Benchmark, type ToolMeasurement, boundedInt, ratioLine } from "./lib/bench.js";
import { baselineCli } from "./lib/baseline-cli.js";
import { storeForBaseline } from "./lib/baseline-store.js";
import { importCorpus, importScanArgs } from "./lib/import-corpus.js";
import { measureCommand, recordRun, runFailure } from "./lib/measure.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { filesSummary, storedRuns } from "./lib/stored-runs.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const WORK = join(REPO_ROOT, ".tmp", "bench");
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
const COUNT = boundedInt(process.env.BENCH_IMPORT_CERTS, 100_000, 1_000, 1_000_000);
/** 1afc81a: the last commit with report.json one JSON.stringify and report.html every row. */
const BASELINE_REF = process.env.BENCH_REPORT_BASELINE_REF ?? "1afc81a";
const RUN_TIMEOUT_MS = 30 * 60_000;

export const reportScale: Benchmark = {
  name: "report-scale",
  description: `pkiscope report of a stored run of ${COUNT.toLocaleString("en")} certificates: streamed JSON and capped HTML vs ${BASELINE_REF}`,
  run,
};

interface Variant {
  row: ToolMeasurement;
  command: string;
  args: string[];
  /** The file the variant writes (or reads), described in "found". */
  file: string;
}

async function run(): Promise<BenchResult> {
  await mkdir(WORK, { recursive: true });
  const corpus = await importCorpus(WORK, COUNT);
  const cli = await pkiscopeCli(REPO_ROOT);
  const notes = cli.warning ? [cli.warning] : [];
  const failures: string[] = [];
  const db = join(WORK, `report-scale-${COUNT}.db`);
  for (const suffix of ["", "-wal", "-shm"]) await rm(`${db}${suffix}`, { force: true });
  const measure = (command: string, args: readonly string[]) =>
    measureCommand(command, args, { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, scratchDir: WORK });

  process.stderr.write(`bench report-scale: importing ${COUNT.toLocaleString("en")} certificates...\n`);
  const scan = await measure(cli.command, [...cli.prefixArgs, ...importScanArgs(corpus, db)]);
  const scanFailure = runFailure(scan, RUN_TIMEOUT_MS);
  if (scanFailure) return result(cli.how, [], notes, [`the import scan: ${scanFailure}`]);
  notes.push(`store: one scan of the corpus, ${filesSummary(storedRuns(db).at(-1)?.stats ?? {})}`);

  const baseline = await baselineCli(REPO_ROOT, WORK, BASELINE_REF);
  if (!baseline) failures.push(`baseline ${BASELINE_REF} could not be built`);
  const baselineStore = baseline ? await storeForBaseline(db, baseline, join(WORK, `report-scale-${COUNT}-${BASELINE_REF}.db`)) : null;
  if (baselineStore && "error" in baselineStore) failures.push(`baseline ${BASELINE_REF}: ${baselineStore.error}`);
  else if (baselineStore) notes.push(baselineStore.note);
  const pkiscopes = [
    ["pkiscope (this)", cli.command, cli.prefixArgs, db],
    ...(baseline && baselineStore && "path" in baselineStore ? [[`pkiscope ${BASELINE_REF}`, process.execPath, [baseline], baselineStore.path] as const] : []),
  ] as const;
  const reportVariants = (format: "json" | "html"): Variant[] => pkiscopes.map(([tool, command, prefix, store], i) => {
    const out = join(WORK, `report-scale-${i === 0 ? "this" : "baseline"}`);
    const args = [...prefix, "report", "--db", store, "--run", "latest", "--format", format, "--out", out, "-q"];
    return { row: row(`${tool}, --format ${format}`, command, args), command, args, file: join(out, format === "json" ? "report.json" : "report.html") };
  });
  const json = reportVariants("json");
  const written = json[0]!.file;
  const peers: Variant[] = [
    { row: row("jq -c . report.json (peer: parse and print it)", "jq", ["-c", ".", written]), command: "jq", args: ["-c", ".", written], file: written },
    { row: row("cat report.json (peer: copy it)", "cat", [written]), command: "cat", args: [written], file: written },
  ];
  const htmlVariants = reportVariants("html");

  for (let i = 0; i < RUNS; i++) {
    for (const group of [json, peers, htmlVariants]) {
      // The order alternates, so neither pkiscope always runs right after the other.
      for (const v of i % 2 === 0 ? group : [...group].reverse()) {
        process.stderr.write(`bench report-scale: ${v.row.tool}, run ${i + 1} of ${RUNS}...\n`);
        const r = await measure(v.command, v.args);
        if (recordRun(v.row, r, runFailure(r, RUN_TIMEOUT_MS), failures, ` (run ${i + 1})`)) v.row.found = await fileFacts(v.file);
      }
    }
  }
  const [thisJson, oldJson] = json;
  if (thisJson && oldJson && !thisJson.row.error && !oldJson.row.error) {
    const same = (await sha256Of(thisJson.file)) === (await sha256Of(oldJson.file));
    notes.push(`report.json of this pkiscope and of ${BASELINE_REF}: ${same ? "the same bytes" : "different bytes (the report model changed between them)"}`);
  }
  notes.push(
    "Each pkiscope report reads the stored run, builds its inventory view and the report, then writes the one file; peak RSS is the whole process.",
    `Corpus: the import-analysis corpus (${COUNT.toLocaleString("en")} P-256 server certificates under an Ed25519 root and issuing CA, not anchored: every leaf has findings).`,
  );
  const thisHtml = htmlVariants[0]!;
  const htmlBound = thisHtml.row.error || thisHtml.row.runsMs.length === 0
    ? []
    : [`${thisHtml.row.tool}: report.html ${((await stat(thisHtml.file)).size / 1e6).toFixed(2)} MB (issue 12's bound: under 5 MB)`];
  const ratios = (variants: Variant[]): string[] => (variants[1] ? [ratioLine(variants[0]!.row, variants[1].row)] : []);
  return result(cli.how, [
    { title: "report.json: streamed (this) vs one string", rows: json.map((v) => v.row), comparisons: ratios(json) },
    { title: "report.json beside its readers", rows: [thisJson!.row, ...peers.map((p) => p.row)], comparisons: peers.map((p) => ratioLine(thisJson!.row, p.row)) },
    { title: "report.html: capped (this) vs every row", rows: htmlVariants.map((v) => v.row), comparisons: [...ratios(htmlVariants), ...htmlBound] },
  ], notes, failures);
}

function row(tool: string, command: string, args: readonly string[]): ToolMeasurement {
  return { tool, command: `${command} ${args.join(" ")}`, runsMs: [], peakRssKiB: [], found: "" };
}

async function fileFacts(path: string): Promise<string> {
  return `${path.split("/").at(-1)} ${((await stat(path)).size / 1024 / 1024).toFixed(1)} MiB`;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function result(how: string, sections: BenchResult["sections"], notes: string[], failures: string[]): BenchResult {
  return {
    name: reportScale.name,
    title: reportScale.description,
    setup: [`pkiscope: ${how}`, `baseline: ${BASELINE_REF} built in ${join(WORK, `baseline-${BASELINE_REF}`)}`, `${RUNS} interleaved runs of each command`],
    sections,
    notes,
    failures,
  };
}
