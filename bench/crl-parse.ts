// Benchmark: pkiscope's CRL reader (src/pki/crl.ts) on 100k- and 1M-entry CRLs beside
// `openssl crl -inform DER -noout -text` on the same files. Each tool runs as its own process so
// wall time and peak RSS are measured the same way for both (bench/lib/measure.ts); the reader
// also reports its in-process time, and the match lookup of 1,000 wanted serials is a row of its own.
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCertificate } from "../fixtures/lib/certificate-builder.js";
import { buildLargeCrl } from "../fixtures/lib/crl-builder.js";
import { generateKeyPair } from "../fixtures/lib/keys.js";
import { type BenchResult, type BenchSection, type Benchmark, type ToolMeasurement, formatKiB, formatMs, median, ratioLine, boundedInt } from "./lib/bench.js";
import { hasGnuTime, measureCommand, runFailure, runQuiet } from "./lib/measure.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const SIZES = [100_000, 1_000_000] as const;
const WANTED = 1_000;
/** BENCH_RUNS, as bench/run.ts documents it (default 3). */
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
/** Hard cap on one run, far above anything expected. */
const RUN_TIMEOUT_MS = 300_000;

export const crlParse: Benchmark = {
  name: "crl-parse",
  description: "pkiscope's CRL reader on 100k- and 1M-entry CRLs vs openssl crl -noout -text",
  // openssl is not listed in `requires`: bench/lib/tools.ts probes `<tool> --version`, which
  // openssl rejects; availability is checked here with `openssl version` instead.
  run,
};

/**
 * The reader's process: reads the file, runs readCrl (optionally with wanted serials, one per
 * line) and prints what it found with its own timing and RSS. Plain JavaScript written to the
 * scratch directory, so the built module runs without tsx's start-up cost.
 */
const CHILD_SOURCE = `
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [repoRoot, crlModule, crlFile, wantedFile] = process.argv.slice(2);
createRequire(repoRoot + "/package.json")("reflect-metadata");
const { readCrl } = await import(pathToFileURL(crlModule).href);
const wanted = wantedFile ? new Set(readFileSync(wantedFile, "utf8").split("\\n").filter(Boolean)) : undefined;
const rssBeforeKiB = process.resourceUsage().maxRSS;
const started = performance.now();
const crl = readCrl(readFileSync(crlFile), wanted);
const readMs = performance.now() - started;
console.log(JSON.stringify({ entries: crl.entryCount, matches: crl.matches.length, readMs, rssBeforeKiB, rssKiB: process.resourceUsage().maxRSS }));
`;

interface ChildReport {
  entries: number;
  matches: number;
  readMs: number;
  rssBeforeKiB: number;
  rssKiB: number;
}

/** How the reader is started: the built module when it is current, else the source through tsx. */
interface ReaderRuntime {
  nodeArgs: string[];
  module: string;
  how: string;
}

/** One row of a size's table and how to run it. */
interface Variant {
  row: ToolMeasurement;
  command: string;
  args: string[];
  /** Checks a successful run's output; returns the "found" text or throws why it is wrong. */
  check(stdout: string): string;
  /** The reader's own reports, for the in-process lines. */
  reports: ChildReport[];
}

async function run(): Promise<BenchResult> {
  const work = await mkdtemp(join(tmpdir(), "pkiscope-bench-crl-"));
  try {
    const [openssl, gnuTime, reader] = await Promise.all([opensslVersion(), hasGnuTime(), readerRuntime()]);
    const childScript = join(work, "read-crl.mjs");
    await writeFile(childScript, CHILD_SOURCE);

    process.stderr.write("bench crl-parse: building the CRLs...\n");
    const key = generateKeyPair({ kind: "rsa", bits: 2048 });
    const ca = buildCertificate({
      subject: [["CN", "Bench CRL CA"], ["O", "pkiscope"]],
      publicKey: key.publicKey,
      selfSignKey: key.privateKey,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2040-01-01T00:00:00Z"),
      isCA: true,
      keyUsage: ["keyCertSign", "cRLSign"],
    });
    const files: { entries: number; path: string; wantedPath: string; bytes: number; buildMs: number }[] = [];
    for (const entries of SIZES) {
      const started = performance.now();
      const crl = buildLargeCrl({ issuer: { certificateDer: ca.der, privateKey: key.privateKey }, thisUpdate: new Date("2025-01-01T00:00:00Z"), crlNumber: 42n, entries });
      const buildMs = performance.now() - started;
      const path = join(work, `crl-${entries}.der`);
      const wantedPath = join(work, `wanted-${entries}.txt`);
      await writeFile(path, crl.der);
      // Spread over the whole list, so the last one is near its end.
      const wanted = Array.from({ length: WANTED }, (_, i) => crl.entry(Math.floor(((i + 0.5) * entries) / WANTED)).serial);
      await writeFile(wantedPath, `${wanted.join("\n")}\n`);
      files.push({ entries, path, wantedPath, bytes: crl.der.length, buildMs });
    }

    const failures: string[] = [];
    const sections: BenchSection[] = [];
    for (const file of files) {
      const readerArgs = [...reader.nodeArgs, childScript, REPO_ROOT, reader.module, file.path];
      const variants: Variant[] = [
        readerVariant("pkiscope readCrl", readerArgs, file.entries, null),
        readerVariant(`pkiscope readCrl + ${WANTED.toLocaleString("en")} wanted serials`, [...readerArgs, file.wantedPath], file.entries, WANTED),
      ];
      const opensslRow = opensslVariant(file.path);
      if (openssl.available) variants.push(opensslRow);
      else opensslRow.row.error = openssl.reason;
      const expectedOpenssl = openssl.available ? await opensslEntryCount(file.path) : null;

      process.stderr.write(`bench crl-parse: ${file.entries.toLocaleString("en")} entries, ${RUNS} interleaved runs per tool...\n`);
      for (let i = 0; i < RUNS; i++) {
        // The order alternates, so neither tool always runs right after the other.
        for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
          const r = await measureCommand(v.command, v.args, { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, scratchDir: work });
          const outcome = checkedRun(v, runFailure(r, RUN_TIMEOUT_MS), r.stdout);
          if ("error" in outcome) {
            v.row.error = outcome.error;
            failures.push(`${v.row.tool} (${file.entries} entries, run ${i + 1}): ${outcome.error}`);
            continue;
          }
          v.row.runsMs.push(r.wallMs);
          v.row.peakRssKiB.push(r.peakRssKiB);
          v.row.found = outcome.found;
        }
      }
      if (expectedOpenssl !== null && expectedOpenssl !== file.entries) {
        failures.push(`openssl lists ${expectedOpenssl} entries in the ${file.entries}-entry CRL`);
      }
      opensslRow.row.found = expectedOpenssl === null ? "-" : `${expectedOpenssl.toLocaleString("en")} entries printed (counted in a separate, untimed run)`;
      sections.push(sizeSection(file, variants[0]!, variants[1]!, opensslRow, openssl.available));
    }

    return {
      name: crlParse.name,
      title: `CRLs of ${SIZES.map((n) => n.toLocaleString("en")).join(" and ")} entries: pkiscope readCrl vs openssl crl -text`,
      setup: [
        `machine: ${cpus().length} cores, node ${process.version}, ${openssl.available ? openssl.version : "openssl unavailable"}`,
        ...files.map(
          (f) => `${f.entries.toLocaleString("en")}-entry CRL: ${formatKiB(f.bytes / 1024)} DER (${f.bytes.toLocaleString("en")} bytes), built by buildLargeCrl in ${formatMs(f.buildMs)}`,
        ),
        "CRLs: RSA-2048/SHA-256 signed, 16-byte pseudo-random serials, every 10th entry with a reasonCode extension (fixtures/lib/crl-builder.ts)",
        `pkiscope: ${reader.how}; peak RSS via ${gnuTime ? "/usr/bin/time -f %M" : "/proc/<pid>/status VmHWM polling"}`,
        `runs: ${RUNS} timed runs per tool and size, interleaved, order alternating; no warm-up (the files were just written and are in the page cache)`,
      ],
      sections,
      notes: [
        "Wall time and peak RSS are the whole process as measured around the spawn: node start-up and module loading for pkiscope, " +
          "which the in-process line beside each table leaves out.",
        "Not like for like: readCrl checks every entry's structure and counts it, decodes only wanted entries and verifies nothing; " +
          "openssl decodes every entry into objects and prints each one (its text goes to /dev/null). Neither verifies the signature.",
        "pkiscope reads the whole DER into memory (a Buffer the size of the file) and walks it in place: its RSS above the node baseline " +
          "is about the file size.",
        "A measurement, not a test: no thresholds.",
      ],
      failures,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A run's "found" text, or why it does not count. */
function checkedRun(v: Variant, failure: string | null, stdout: string): { found: string } | { error: string } {
  if (failure !== null) return { error: failure };
  try {
    return { found: v.check(stdout) };
  } catch (err) {
    return { error: `unexpected output: ${(err as Error).message}` };
  }
}

function readerVariant(tool: string, args: string[], entries: number, wanted: number | null): Variant {
  const variant: Variant = {
    row: { tool, command: displayed(["node", ...args]), runsMs: [], peakRssKiB: [], found: "-" },
    command: process.execPath,
    args,
    reports: [],
    check(stdout) {
      const report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as ChildReport;
      if (report.entries !== entries) throw new Error(`counted ${report.entries} entries, expected ${entries}`);
      if (wanted !== null && report.matches !== wanted) throw new Error(`matched ${report.matches} of ${wanted} wanted serials`);
      variant.reports.push(report);
      return `${report.entries.toLocaleString("en")} entries${wanted === null ? "" : `, ${report.matches}/${wanted} wanted found`}`;
    },
  };
  return variant;
}

function opensslVariant(path: string): Variant {
  // exec: the shell becomes openssl, so the measured process (and its RSS) is openssl's own.
  const args = ["-c", 'exec openssl crl -inform DER -noout -text -in "$1" > /dev/null', "sh", path];
  return {
    row: { tool: "openssl crl -text", command: displayed(["openssl crl -inform DER -noout -text -in", path, "> /dev/null"]), runsMs: [], peakRssKiB: [], found: "-" },
    command: "sh",
    args,
    reports: [],
    check: () => "printed",
  };
}

/** The table of one CRL size, with time and RSS ratios and the reader's in-process figures. */
function sizeSection(file: { entries: number; bytes: number }, plain: Variant, lookup: Variant, openssl: Variant, opensslAvailable: boolean): BenchSection {
  const comparisons: string[] = [];
  for (const v of [plain, lookup]) {
    if (opensslAvailable) comparisons.push(ratioLine(v.row, openssl.row), rssRatioLine(v.row, openssl.row));
    const readMs = median(v.reports.map((r) => r.readMs));
    const growth = median(v.reports.map((r) => r.rssKiB - r.rssBeforeKiB));
    const baseline = median(v.reports.map((r) => r.rssBeforeKiB));
    if (readMs !== null && growth !== null && baseline !== null) {
      comparisons.push(
        `${v.row.tool}, inside the process: read + parse ${formatMs(readMs)} (median); RSS grew ${formatKiB(growth)} over the ` +
          `${formatKiB(baseline)} node + module baseline, for a ${formatKiB(file.bytes / 1024)} file`,
      );
    }
  }
  return {
    title: `${file.entries.toLocaleString("en")} entries (${formatKiB(file.bytes / 1024)} DER)`,
    rows: [plain.row, lookup.row, openssl.row],
    comparisons,
  };
}

function rssRatioLine(a: ToolMeasurement, b: ToolMeasurement): string {
  const peak = (row: ToolMeasurement): number | null => median(row.peakRssKiB.filter((v): v is number => v !== null));
  const pa = peak(a);
  const pb = peak(b);
  if (pa === null || pb === null || pb === 0) return `RSS ratio ${a.tool}/${b.tool}: not available`;
  return `${a.tool} peak RSS ${(pa / pb).toFixed(2)}× ${b.tool}'s: median ${formatKiB(pa)} vs ${formatKiB(pb)}`;
}

async function readerRuntime(): Promise<ReaderRuntime> {
  // pkiscopeCli brings dist/ up to date (npm run build) when the sources are newer.
  const cli = await pkiscopeCli(REPO_ROOT);
  const built = join(REPO_ROOT, "dist/src/pki/crl.js");
  const source = join(REPO_ROOT, "src/pki/crl.ts");
  if (existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs) {
    return { nodeArgs: [], module: built, how: "built module dist/src/pki/crl.js under plain node" };
  }
  const why = cli.warning ?? "dist/src/pki/crl.js is missing or older than its source";
  return { nodeArgs: ["--import", "tsx"], module: source, how: `src/pki/crl.ts through tsx, slower to start (${why})` };
}

async function opensslVersion(): Promise<{ available: boolean; version?: string; reason?: string }> {
  const r = await runQuiet("openssl", ["version"], { cwd: REPO_ROOT, timeoutMs: 10_000 });
  if (r.code === 0) return { available: true, version: r.output.trim().split("\n")[0] ?? "openssl" };
  return { available: false, reason: `openssl unavailable: ${r.error ?? r.output.trim().slice(0, 200)}` };
}

/** How many entries openssl prints, from one untimed run piped through grep. */
async function opensslEntryCount(path: string): Promise<number | null> {
  const r = await runQuiet("sh", ["-c", 'openssl crl -inform DER -noout -text -in "$1" | grep -c "Serial Number:"', "sh", path], {
    cwd: REPO_ROOT,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const count = Number(r.output.trim());
  return Number.isInteger(count) ? count : null;
}

/** A command line for the printout, with the scratch directory as $TMP and repository paths relative. */
function displayed(parts: readonly string[]): string {
  return parts.join(" ").replace(/\/[^ ]*\/pkiscope-bench-crl-[^/ ]+/g, "$TMP").replaceAll(`${REPO_ROOT}/`, "").replaceAll(REPO_ROOT, ".");
}

