// The processes of distributed-scan tests: `pkiscope coordinator` and `pkiscope worker` as real
// child processes with their output gathered, and what a run holds, as sets a single-process
// scan and a distributed one must share.
import { once } from "node:events";
import { expect } from "vitest";
import { openStore } from "../../src/store/open.js";
import { spawnCli } from "../cli/cli-helpers.js";

/**
 * A CLI child process with its output (stdout and stderr interleaved) gathered as it comes. The
 * database password goes in PGPASSWORD, as docs/deployment.md says, never on the command line;
 * `env` adds to the environment (the secrets a profile names).
 */
export function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const db = new URL(args[args.indexOf("--db") + 1]!);
  const password = decodeURIComponent(db.password);
  db.password = "";
  const child = spawnCli(args.map((a, i) => (args[i - 1] === "--db" ? db.toString() : a)), { ...env, PGPASSWORD: password });
  const log = { text: "" };
  child.stdout.on("data", (d: Buffer) => (log.text += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log.text += d.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, log, exited };
}
export type Started = ReturnType<typeof start>;

/** A worker that polls and expires leases every second. */
export const worker = (db: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Started =>
  start(["worker", "--db", db, "--poll-seconds", "1", "--expiry-check-seconds", "1", ...extra], env);

/** The shard ids a worker's log says it claimed, in order. */
export const claimsIn = (text: string): string[] => [...text.matchAll(/claimed shard (\S+) of run/g)].map((m) => m[1]!);

/** The run id a coordinator printed. */
export const runIdIn = (text: string): string | undefined => /^([0-9a-f-]{36})$/m.exec(text)?.[1];

/** Every process's output, for a failed assertion's message. */
export const logsOf = (processes: readonly Started[]): string => processes.map((p) => p.log.text).join("\n---\n");

/** Kills whichever of `processes` is still running (a test's finally). */
export function killAll(processes: readonly Started[]): void {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
}

/** What a run holds, as sets that a single-process scan and a distributed one must share. */
export async function contentsOf(db: string, runId: string) {
  const store = await openStore(db);
  try {
    const run = await store.loadRun(runId);
    const sightings = run.sightings.map((s) => `${s.sha256} ${s.source} ${s.location} ${s.position}`).sort();
    return {
      complete: run.run.complete,
      certificates: run.certificates.map((c) => c.sha256).sort(),
      endpoints: run.endpoints.map((e) => `${e.id} ${e.status} ${e.chain.join(",")}`).sort(),
      sightings,
      distinctSightings: new Set(sightings).size,
      findings: run.findings.map((f) => f.id).sort(),
      plan: await store.runPlan(runId),
    };
  } finally {
    await store.close();
  }
}

type RunContents = Awaited<ReturnType<typeof contentsOf>>;

/** A distributed run that ended holding exactly what the single-process scan `expected` did, each sighting once. */
export function expectSameRun(got: RunContents, expected: RunContents): void {
  expect(got.complete).toBe(true);
  expect(got.certificates).toEqual(expected.certificates);
  expect(got.endpoints).toEqual(expected.endpoints);
  expect(got.sightings).toEqual(expected.sightings);
  expect(got.distinctSightings).toBe(got.sightings.length);
  expect(got.findings).toEqual(expected.findings);
}
