// The fuzz loop, run in a child process the supervisor (./supervisor.ts) forks and watches: a
// synchronous parser that never returns cannot be interrupted in its own thread. Before each
// call the child tells the parent which case it is on, so a hang names its input. Messages are
// the FuzzMessage union; options come in FUZZ_OPTIONS.
// @peculiar/x509 needs the reflect-metadata polyfill loaded before it.
import "reflect-metadata";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type FuzzCase, applyCase, caseArbitrary, describeCase } from "./mutations.js";
import { type FuzzTarget, fuzzTargets } from "./targets.js";

export interface ChildOptions {
  seed: number;
  runs: number;
  targets: string[] | null;
}

export interface TargetResult {
  target: string;
  covers: string;
  allowed: string;
  seeds: number;
  runs: number;
  /** fast-check's report (seed, path, shrunk counterexample), null when every run held. */
  failure: string | null;
  /** Heap in use after the loop minus before it, both after a full GC. */
  heapGrowthBytes: number;
  /** The whole loop, shrinking included. */
  elapsedMs: number;
  slowestMs: number;
  slowestCase: string;
  /** How the runs ended: "ok" or the error class the parser threw. */
  outcomes: Record<string, number>;
}

export type FuzzMessage =
  | { type: "case"; target: string; run: number; description: string }
  | { type: "result"; result: TargetResult }
  | { type: "done" };

const send = (message: FuzzMessage): void => {
  process.send!(message);
};

/** An error the caller would not catch, with the case that threw it. */
class UnexpectedThrow extends Error {}

function errorName(err: unknown): string {
  return err instanceof Error ? err.constructor.name : typeof err;
}

/** Seeds run as they are before any mutation (up to EXAMPLES of them, spread over the list): they show the runs start from input the parser accepts. */
const EXAMPLES = 8;
function unmutatedExamples(seedCount: number): [FuzzCase][] {
  const step = Math.max(1, Math.floor(seedCount / EXAMPLES));
  return Array.from({ length: Math.min(seedCount, EXAMPLES) }, (_, i): [FuzzCase] => [{ seed: i * step, mutations: [] }]);
}

async function fuzzTarget(target: FuzzTarget, options: ChildOptions): Promise<TargetResult> {
  const seeds = target.seeds.map((s) => s.bytes);
  const names = target.seeds.map((s) => s.name);
  const runs = Math.max(1, Math.round(options.runs * target.weight));
  const outcomes: Record<string, number> = {};
  let run = 0;
  let slowestMs = 0;
  let slowestCase = "";
  const gc = globalThis.gc!;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const loopStarted = performance.now();
  let failure: string | null = null;
  try {
    await fc.assert(
      fc.asyncProperty(caseArbitrary(seeds.length), async (c: FuzzCase) => {
        const description = describeCase(c, names);
        send({ type: "case", target: target.name, run: run++, description });
        const input = applyCase(seeds, c);
        const started = performance.now();
        let outcome = "ok";
        try {
          await target.run(input);
        } catch (err) {
          outcome = errorName(err);
          if (!target.isAllowed(err)) {
            throw new UnexpectedThrow(`${outcome} escaped (allowed: ${target.allowed}): ${err instanceof Error ? err.stack : String(err)}`);
          }
        } finally {
          const elapsed = performance.now() - started;
          if (elapsed > slowestMs) [slowestMs, slowestCase] = [elapsed, description];
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }),
      { seed: options.seed, numRuns: runs, endOnFailure: false, examples: unmutatedExamples(seeds.length) },
    );
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  gc();
  return {
    target: target.name, covers: target.covers, allowed: target.allowed, seeds: seeds.length, runs,
    failure, heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore, elapsedMs: performance.now() - loopStarted, slowestMs, slowestCase, outcomes,
  };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.FUZZ_OPTIONS ?? "{}") as ChildOptions;
  const work = await mkdtemp(join(tmpdir(), "pkiscope-fuzz-"));
  const built = await fuzzTargets(work);
  try {
    for (const target of built.targets) {
      if (options.targets && !options.targets.includes(target.name)) continue;
      send({ type: "result", result: await fuzzTarget(target, options) });
    }
  } finally {
    await built.close();
    await rm(work, { recursive: true, force: true });
  }
  send({ type: "done" });
  process.disconnect();
}

await main();
