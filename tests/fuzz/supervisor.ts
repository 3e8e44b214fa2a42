// Runs the parser fuzz (./child.ts) in a child process with a capped heap and watches it: a case
// that makes no progress for `hangMs` is a hang (the child is killed and the case named), a
// child that dies (out of memory, a native crash) names the case it was on. Used by
// tests/fuzz/parser-fuzz.test.ts with a bounded run count, and by `npm run fuzz` for long runs:
//
//   npm run fuzz -- --seed 42 --runs 20000 [--target crl --target ocsp]
//   FUZZ_SEED=42 FUZZ_RUNS=20000 npm run fuzz
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildOptions, FuzzMessage, TargetResult } from "./child.js";

export interface FuzzOptions extends ChildOptions {
  /** A case running longer than this is a hang. */
  hangMs: number;
  /** The child's V8 heap cap: a parser that allocates without bound dies against it. */
  maxHeapMb: number;
}

export interface FuzzReport {
  results: TargetResult[];
  /** Why the child stopped before finishing (a hang, a crash), with the case it was on; null when it finished. */
  aborted: string | null;
}

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { hangMs, maxHeapMb, ...childOptions } = options;
  const child = fork(CHILD, [], {
    cwd: REPO,
    execArgv: ["--import", "tsx", "--expose-gc", `--max-old-space-size=${maxHeapMb}`],
    env: { ...process.env, FUZZ_OPTIONS: JSON.stringify(childOptions) },
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const results: TargetResult[] = [];
  let current: Extract<FuzzMessage, { type: "case" }> | null = null;
  let done = false;
  let aborted: string | null = null;
  let watchdog: NodeJS.Timeout;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      aborted = `hang: no progress for ${hangMs} ms on ${current ? `${current.target} run ${current.run}: ${current.description}` : "startup"}`;
      child.kill("SIGKILL");
    }, hangMs);
  };
  arm();
  child.on("message", (message: FuzzMessage) => {
    arm();
    if (message.type === "case") current = message;
    else if (message.type === "result") results.push(message.result);
    else done = true;
  });
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(watchdog);
      if (!done && aborted === null) {
        aborted = `the fuzz child exited (code ${code}, signal ${signal}) during ${current ? `${current.target} run ${current.run}: ${current.description}` : "startup"}\n${stderr}`;
      }
      resolve({ results, aborted });
    });
  });
}

function positive(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer, not "${text}"`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seed: { type: "string" }, runs: { type: "string" }, target: { type: "string", multiple: true }, "hang-ms": { type: "string" } },
  });
  const seed = positive(values.seed ?? process.env.FUZZ_SEED, Date.now() % 2 ** 31, "--seed");
  const runs = positive(values.runs ?? process.env.FUZZ_RUNS, 10_000, "--runs");
  console.log(`fuzzing with --seed ${seed} --runs ${runs}`);
  const report = await runFuzz({ seed, runs, targets: values.target ?? null, hangMs: positive(values["hang-ms"], 60_000, "--hang-ms"), maxHeapMb: 1024 });
  for (const r of report.results) {
    const outcomes = Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`${r.failure ? "FAIL" : "ok  "} ${r.target.padEnd(30)} ${String(r.runs).padStart(7)} runs in ${(r.elapsedMs / 1000).toFixed(1).padStart(5)} s  heap ${(r.heapGrowthBytes / 2 ** 20).toFixed(1).padStart(6)} MiB  slowest ${r.slowestMs.toFixed(0).padStart(5)} ms  (${outcomes})`);
    if (r.failure) console.log(r.failure);
  }
  if (report.aborted) console.log(report.aborted);
  const failed = report.aborted !== null || report.results.some((r) => r.failure !== null);
  console.log(failed ? `FAILED: rerun with --seed ${seed} --runs ${runs}` : "no parser failed");
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
