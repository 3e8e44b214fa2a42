// `npm run bench`: runs every benchmark in BENCHMARKS (or only those named on the command line),
// installing the external tools they compare against first, and prints each result with the
// common printer. Measurements only: exit 0 unless a tool failed to run or could not be installed.
//
// To add a benchmark (e.g. CRL parsing): write bench/<name>.ts exporting a `Benchmark`
// ({ name, description, requires?, run(): Promise<BenchResult> }, see bench/lib/bench.ts) and
// append it to BENCHMARKS below.
import "reflect-metadata";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { type BenchResult, type Benchmark, printResult } from "./lib/bench.js";
import { killStartedProcesses } from "./lib/measure.js";
import { toolStatus } from "./lib/tools.js";
import { crlParse } from "./crl-parse.js";
import { importAnalysis } from "./import-analysis.js";
import { maturityScoring } from "./maturity-scoring.js";
import { reportScale } from "./report-scale.js";
import { starttlsSweep } from "./starttls-sweep.js";
import { tlsSweep } from "./tls-sweep.js";
import { tlsSweep16 } from "./tls-sweep-16.js";

const BENCHMARKS: readonly Benchmark[] = [tlsSweep, tlsSweep16, starttlsSweep, crlParse, importAnalysis, maturityScoring, reportScale];

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write("usage: npm run bench [-- <benchmark name>...]\n\nbenchmarks:\n");
    for (const b of BENCHMARKS) process.stdout.write(`  ${b.name.padEnd(17)} ${b.description}\n`);
    process.stdout.write(
      "\nenvironment:\n" +
        "  BENCH_RUNS               timed runs per tool and scenario (default 3, 1-15)\n" +
        "  BENCH_NMAP_DEFAULT_RUNS  runs of tls-sweep's nmap-at-NSE-defaults row, about 60 s each (default 1, 0 skips it)\n" +
        "  BENCH_TLS_PREFIX         loopback /24 for tls-sweep (default 127.91.0)\n" +
        "  BENCH_SWEEP16_PREFIX     loopback /16 for tls-sweep-16 (default 127.176)\n" +
        "  BENCH_STARTTLS_PREFIX    loopback /24 for starttls-sweep (default 127.161.0)\n" +
        "  BENCH_IMPORT_CERTS       certificates in the corpus of import-analysis, maturity-scoring and report-scale (default 100000)\n" +
        "  BENCH_BASELINE_REF       the earlier pkiscope import-analysis compares with (default fa1906d)\n" +
        "  BENCH_REPORT_BASELINE_REF  the earlier pkiscope report-scale compares with (default 1afc81a)\n",
    );
    return 0;
  }
  const unknown = argv.filter((a) => !BENCHMARKS.some((b) => b.name === a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}\n`);
    return 2;
  }
  const selected = argv.length > 0 ? BENCHMARKS.filter((b) => argv.includes(b.name)) : BENCHMARKS;

  // Install what the benchmarks compare against before any timing starts.
  const tools = [...new Set(selected.flatMap((b) => b.requires ?? []))];
  for (const tool of tools) {
    const status = await toolStatus(tool, REPO_ROOT);
    if (!status.available) process.stderr.write(`bench: ${status.reason}\n`);
    else if (status.installed) process.stderr.write(`bench: installed ${status.version}\n`);
  }

  let failed = false;
  for (const bench of selected) {
    let result: BenchResult;
    try {
      result = await bench.run();
    } catch (err) {
      failed = true;
      process.stdout.write(`== ${bench.name}: could not run\n   ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n\n`);
      continue;
    }
    printResult(result);
    if (result.failures.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killStartedProcesses();
    process.stderr.write(`bench: ${signal}, stopped\n`);
    process.exit(130);
  });
}

process.exitCode = await main(process.argv.slice(2));
