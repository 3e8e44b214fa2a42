// A worker of distributed scans: claims one job at a time (the analysis of a run whose shards are
// all done first, then a shard of its site, then a shard any scanner may take), does it through
// the engine against the shared store, renewing the job's lease while it works, and tells the
// queue. A shard done is followed by the run's analysis job when it was the last one. A claim
// superseded while this worker held it (its lease expired all the same and another worker took
// the shard) is abandoned: its writes are refused by the store, and the job is the other worker's now.
import { setTimeout as sleep } from "node:timers/promises";
import { collectShard, concludeRun, loadRunPlan, recordFailedRun, withinOpenFileLimit } from "../engine/scan.js";
import { StaleShardError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { LeaseOptions } from "./defaults.js";
import { CONCLUDE_QUEUE, type ClaimedJob, SHARD_QUEUE, type ScanQueue, shardQueue } from "./queue.js";

export interface WorkerOptions {
  /** The site this worker scans from: it also takes the shards that require it. */
  site: string | null;
  /** Probes in flight within a shard; null: the run's plan's. */
  concurrency: number | null;
  /** How long to wait between polls of empty queues. */
  pollMs: number;
  /** Exit after this long with nothing to claim; null: run until stopped. */
  idleExitMs: number | null;
}

export interface WorkerHooks {
  log: Logger;
  /** Aborted: claim nothing more (the job in hand is finished first). */
  stop: AbortSignal;
  /** Where the secrets a plan names (LDAP, keystore passwords) are read from. */
  env: NodeJS.ProcessEnv;
}

export interface WorkerTally {
  shards: number;
  conclusions: number;
  abandoned: number;
  failed: number;
}

export async function runWorker(store: Store, queue: ScanQueue, options: WorkerOptions, hooks: WorkerHooks): Promise<WorkerTally> {
  const { log, stop } = hooks;
  const queues = [CONCLUDE_QUEUE, ...(options.site === null ? [] : [shardQueue(options.site)]), SHARD_QUEUE];
  if (options.site !== null) await queue.ensureQueue(shardQueue(options.site));
  const tally: WorkerTally = { shards: 0, conclusions: 0, abandoned: 0, failed: 0 };
  let idleSince = Date.now();
  log.info(`worker ready${options.site === null ? "" : ` for site ${options.site}`}: claiming from ${queues.join(", ")}`);
  while (!stop.aborted) {
    const job = await queue.claim(queues);
    if (!job) {
      if (options.idleExitMs !== null && Date.now() - idleSince >= options.idleExitMs) {
        log.info("nothing to claim: exiting");
        break;
      }
      await sleep(options.pollMs, undefined, { signal: stop }).catch(() => {});
      continue;
    }
    try {
      if (job.kind === "shard") {
        log.info(`claimed shard ${job.data.shardId} of run ${job.data.runId}`, { attempt: job.retryCount + 1 });
        await whileLeased(queue, job, log, () => doShard(store, queue, job, options, hooks));
        tally.shards++;
      } else {
        log.info(`claimed the analysis of run ${job.data.runId}`);
        await whileLeased(queue, job, log, () => doConclude(store, job, hooks));
        tally.conclusions++;
      }
      await queue.complete(job);
    } catch (err) {
      if (err instanceof StaleShardError) {
        // Another worker holds the shard now; completing or failing the job would end its claim.
        log.warn(`abandoned shard ${job.kind === "shard" ? job.data.shardId : "?"} of run ${job.data.runId}: ${err.message}`);
        tally.abandoned++;
      } else {
        const message = err instanceof Error ? err.message : String(err);
        log.error(`job ${job.kind} of run ${job.data.runId} failed: ${message}`);
        await queue.fail(job, message);
        tally.failed++;
        if (job.retryCount >= job.retryLimit) {
          const what = job.kind === "shard" ? `shard ${job.data.shardId}` : "its analysis";
          if (await recordRunFailed(store, job.data.runId, `${what} failed on its last try: ${message}`)) log.error(`run ${job.data.runId} recorded failed`);
        }
      }
    }
    idleSince = Date.now();
  }
  return tally;
}

/** Renewals per lease: two in a row may fail (the database briefly away, the event loop stalled) before it runs out. */
const RENEWALS_PER_LEASE = 3;

/**
 * Does the job's work while renewing its lease every third of it, so a shard or an analysis that
 * outlasts the lease stays this worker's and is not handed to another. A worker that dies stops
 * renewing, and its lease runs out as before. A lease lost all the same (renewals failed for a
 * whole lease) is only logged: the store refuses the old claim's writes once another worker
 * claims the shard.
 */
async function whileLeased<T>(queue: ScanQueue, job: ClaimedJob, log: Logger, work: () => Promise<T>): Promise<T> {
  const done = new AbortController();
  const what = job.kind === "shard" ? `shard ${job.data.shardId} of run ${job.data.runId}` : `the analysis of run ${job.data.runId}`;
  const everyMs = (job.leaseSeconds * 1000) / RENEWALS_PER_LEASE;
  const renewing = (async () => {
    while (await sleep(everyMs, true, { signal: done.signal }).catch(() => false)) {
      try {
        if (await queue.renew(job)) continue;
        log.warn(`lost the lease of ${what}: it expired, and another worker may take it`);
        return;
      } catch (err) {
        log.warn(`could not renew the lease of ${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();
  try {
    return await work();
  } finally {
    done.abort();
    await renewing;
  }
}

/**
 * A worker told to stop finishes its shard (or is killed, and the lease expires): its work is never
 * interrupted. One signal for all its shards, so the probe threads of one are kept for the next.
 */
const NEVER_INTERRUPTED = new AbortController().signal;

async function doShard(store: Store, queue: ScanQueue, job: Extract<ClaimedJob, { kind: "shard" }>, options: WorkerOptions, hooks: WorkerHooks): Promise<void> {
  const { runId, shardId } = job.data;
  const loaded = await loadRunPlan(store, runId, hooks.env);
  const shard = loaded.shards.find((s) => s.id === shardId);
  if (!shard) throw new Error(`run ${runId} has no shard ${shardId}`);
  let remaining: number;
  if (loaded.run.finishedAt) {
    hooks.log.info(`run ${runId} is finished: shard ${shardId} needs no work`);
    return;
  }
  if (shard.done) {
    // A worker finished it and died before telling the queue.
    remaining = loaded.shards.filter((s) => !s.done).length;
  } else {
    const plan = withinOpenFileLimit(options.concurrency === null ? loaded.plan : { ...loaded.plan, concurrency: options.concurrency }, hooks.log);
    const left = await collectShard(store, loaded.run, plan, shard, { log: hooks.log, signal: NEVER_INTERRUPTED });
    if (left === null) throw new Error(`shard ${shardId} of run ${runId} was interrupted`);
    remaining = left;
    hooks.log.info(`finished shard ${shardId} of run ${runId}: ${remaining} left`);
  }
  if (remaining === 0 && await queue.enqueueConclude(runId, leaseOf(job))) hooks.log.info(`queued the analysis of run ${runId}`);
}

async function doConclude(store: Store, job: Extract<ClaimedJob, { kind: "conclude" }>, hooks: WorkerHooks): Promise<void> {
  const { runId } = job.data;
  const loaded = await loadRunPlan(store, runId, hooks.env);
  if (loaded.run.finishedAt) {
    hooks.log.info(`run ${runId} is already concluded`);
    return;
  }
  const pending = loaded.shards.filter((s) => !s.done);
  if (pending.length > 0) throw new Error(`run ${runId} still has ${pending.length} shards to collect`);
  const outcome = await concludeRun(store, loaded.run, loaded.plan, { log: hooks.log, signal: NEVER_INTERRUPTED });
  hooks.log.info(`concluded run ${runId}: ${outcome.conclusions.findings.length} findings`);
}

/** The analysis is leased like the shard that queued it. */
function leaseOf(job: ClaimedJob): LeaseOptions {
  return { leaseSeconds: job.leaseSeconds, retryLimit: job.retryLimit };
}

/** Finishes a run the queue gave up on as failed, with why (unless it was finished already); true when it was recorded now. */
export async function recordRunFailed(store: Store, runId: string, failure: string): Promise<boolean> {
  const run = await store.findRun(runId);
  if (!run || run.finishedAt) return false;
  await recordFailedRun(store, { targetTexts: run.targets, ports: run.ports }, run, new Error(failure));
  return true;
}
