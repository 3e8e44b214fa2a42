// The coordinator's half of a distributed scan: opens the run (its plan and shards in the
// store), queues every shard on its site's queue (or, resuming a run a coordinator died with,
// the shards it may not have queued), and, when asked to, waits until the workers have
// collected it and one of them has concluded it. While waiting it queues the analysis itself
// once every shard is done (the worker that finished the last one may have died before it
// could), and gives up (recording the run failed) on a job the queue has failed for good.
import { setTimeout as sleep } from "node:timers/promises";
import { type ScanHooks, type ScanPlan, openRun, resumableRun } from "../engine/scan.js";
import { UsageError } from "../errors.js";
import type { Logger } from "../log.js";
import { type RunInfo, runFailure, runState } from "../model/types.js";
import type { Store } from "../store/store.js";
import type { LeaseOptions } from "./defaults.js";
import type { ScanQueue } from "./queue.js";
import { recordRunFailed } from "./worker.js";

export async function queueRun(store: Store, queue: ScanQueue, plan: ScanPlan, lease: LeaseOptions, hooks: ScanHooks): Promise<RunInfo> {
  const { run, shards } = await openRun(store, plan, hooks);
  const queued = await queue.enqueueShards(run.id, shards, lease);
  hooks.log.info(`run ${run.id}: queued ${queued} shards${sitesOf(shards)}`);
  return run;
}

/**
 * Picks up a run whose coordinator died, from the store: queues again every shard not done
 * (a shard queued before is left as it is, so only those the dead coordinator never queued are
 * new), or the analysis when every shard is done. A finished run is refused: its workers would
 * take no shard of it (`scan --resume` finishes an interrupted one in one process).
 */
export async function resumeRun(store: Store, queue: ScanQueue, runRef: string, lease: LeaseOptions, log: Logger): Promise<RunInfo> {
  const { run, shards } = await resumableRun(store, runRef);
  if (run.finishedAt) throw new UsageError(`run ${run.id} is finished (${runState(run)}): workers take no shards of it (pkiscope scan --resume ${run.id} finishes it in one process)`);
  const pending = shards.filter((s) => !s.done);
  const queued = await queue.enqueueShards(run.id, pending, lease);
  log.info(`run ${run.id} resumed: ${pending.length} of ${shards.length} shards to collect, ${queued} of them not queued before${sitesOf(pending)}`);
  if (pending.length === 0 && await queue.enqueueConclude(run.id, lease)) log.info(`run ${run.id}: every shard is done; queued its analysis`);
  return run;
}

/** The sites the shards require, for the log. */
function sitesOf(shards: readonly { site: string | null }[]): string {
  const sites = [...new Set(shards.flatMap((s) => (s.site === null ? [] : [s.site])))];
  return sites.length > 0 ? ` (sites: ${sites.join(", ")})` : "";
}

export type WaitOutcome =
  | { kind: "finished"; run: RunInfo }
  | { kind: "failed"; error: string }
  | { kind: "stopped" };

export interface WaitOptions {
  pollMs: number;
  lease: LeaseOptions;
  log: Logger;
  signal: AbortSignal;
}

/** Waits until the run is finished, a job of it has failed past its retries, or `signal` is aborted. */
export async function waitForRun(store: Store, queue: ScanQueue, runId: string, options: WaitOptions): Promise<WaitOutcome> {
  const { log, signal } = options;
  let doneSeen = -1;
  while (!signal.aborted) {
    const run = await store.findRun(runId);
    if (run?.finishedAt) return runState(run) === "failed" ? { kind: "failed", error: runFailure(run) ?? "failed" } : { kind: "finished", run };
    const failed = await queue.failedJobs(runId);
    if (failed.length > 0) {
      const error = failed.map((f) => `${f.what}: ${f.error}`).join("; ");
      // A worker records it when it failed the job itself; a job whose every claimer died is recorded here.
      await recordRunFailed(store, runId, `given up by the queue: ${error}`);
      return { kind: "failed", error };
    }
    const shards = (await store.runPlan(runId))?.shards ?? [];
    const done = shards.filter((s) => s.done).length;
    if (done !== doneSeen) {
      log.info(`run ${runId}: ${done} of ${shards.length} shards done`);
      doneSeen = done;
    }
    if (done === shards.length && await queue.enqueueConclude(runId, options.lease)) log.info(`run ${runId}: every shard is done; queued its analysis`);
    await sleep(options.pollMs, undefined, { signal }).catch(() => {});
  }
  return { kind: "stopped" };
}
