// The job queue of distributed scans, on pg-boss 10 in the run's own PostgreSQL (schema
// pkiscope_queue; docs/distributed.md says why pg-boss). A shard is a job of the queue of its site
// (`pkiscope.shard.<site>`, or `pkiscope.shard` when any scanner may take it); a run's analysis is
// one job of `pkiscope.conclude`. Jobs carry ids only, never secrets: a worker reads the plan
// from the store. Each job's id is derived from what it is (run and shard), so sending one twice
// is a no-op: a shard is never queued twice, nor a run concluded twice. A claimed job is leased for
// its expiry, which its claimer renews while it works (renew); when the claimer dies, the lease
// runs out and pg-boss's maintenance (every worker runs it) returns the job to the queue for
// another claimer, up to the retry limit.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import PgBoss from "pg-boss";
import { DISTRIBUTED_DEFAULTS, type LeaseOptions } from "./defaults.js";

/** PostgreSQL's SQLSTATE for a transaction aborted to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";
const CREATE_QUEUE_ATTEMPTS = 8;

export const SHARD_QUEUE = "pkiscope.shard";
export const CONCLUDE_QUEUE = "pkiscope.conclude";
/** The PostgreSQL schema pg-boss keeps its tables in, beside the store's. */
export const QUEUE_SCHEMA = "pkiscope_queue";

/** The queue of shards that require `site`, or of those any scanner may take (null). */
export function shardQueue(site: string | null): string {
  return site === null ? SHARD_QUEUE : `${SHARD_QUEUE}.${site}`;
}

export interface ShardJobData {
  runId: string;
  shardId: string;
}

export interface ConcludeJobData {
  runId: string;
}

/** A job claimed: what it is, and the lease it was sent with (how many claims it had before: retryCount). */
interface ClaimedJobBase extends LeaseOptions {
  queue: string;
  id: string;
  retryCount: number;
}

export type ClaimedJob =
  | (ClaimedJobBase & { kind: "shard"; data: ShardJobData })
  | (ClaimedJobBase & { kind: "conclude"; data: ConcludeJobData });


export interface ScanQueueOptions {
  /** How often this process expires leases of dead claimers (pg-boss maintenance; one process does it per interval). */
  expiryCheckSeconds?: number;
  /** Where pg-boss reports an error of its own (a lost connection while polling). */
  onError?(error: Error): void;
}

/** A job id (a UUID) that is a function of what the job is. */
function jobId(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\0")).digest("hex");
  // Shaped as a version 5 (name-based) UUID, as pg-boss's uuid column wants one.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class ScanQueue {
  private constructor(private readonly boss: PgBoss) {}

  static async open(url: string, options: ScanQueueOptions = {}): Promise<ScanQueue> {
    const boss = new PgBoss({
      connectionString: url, schema: QUEUE_SCHEMA, max: 2, application_name: "pkiscope-queue",
      // No cron schedules: pkiscope's schedules are the daemon's.
      schedule: false,
      maintenanceIntervalSeconds: options.expiryCheckSeconds ?? DISTRIBUTED_DEFAULTS.expiryCheckSeconds,
    });
    boss.on("error", (err) => options.onError?.(err));
    await boss.start();
    const queue = new ScanQueue(boss);
    try {
      await queue.ensureQueue(SHARD_QUEUE);
      await queue.ensureQueue(CONCLUDE_QUEUE);
    } catch (err) {
      // A started pg-boss keeps its maintenance timers: the process would never exit.
      await queue.close();
      throw err;
    }
    return queue;
  }

  /**
   * Creates the queue if it is missing (pg-boss 10 drops jobs sent to a queue that does not exist).
   * Two processes creating the same new queue at once (a coordinator and a worker started together
   * on a fresh database) can deadlock in pg-boss's create_queue (it inserts the queue's row, then
   * creates and attaches its partition of the job table); PostgreSQL aborts one of them (40P01),
   * which is then tried again, when the other has created it.
   */
  async ensureQueue(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(name);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= CREATE_QUEUE_ATTEMPTS) throw err;
        await sleep(100 * attempt);
      }
    }
  }

  /** Queues each shard on its site's queue; returns how many were new (a shard queued before is left as it is). */
  async enqueueShards(runId: string, shards: readonly { id: string; site: string | null }[], lease: LeaseOptions): Promise<number> {
    let queued = 0;
    for (const shard of shards) {
      const queue = shardQueue(shard.site);
      await this.ensureQueue(queue);
      const data: ShardJobData = { runId, shardId: shard.id };
      if (await this.boss.send(queue, data, { id: jobId("shard", runId, shard.id), ...sendOptions(lease) })) queued++;
    }
    return queued;
  }

  /** Queues the run's analysis; false when it was queued before. */
  async enqueueConclude(runId: string, lease: LeaseOptions): Promise<boolean> {
    const data: ConcludeJobData = { runId };
    return (await this.boss.send(CONCLUDE_QUEUE, data, { id: jobId("conclude", runId), ...sendOptions(lease) })) !== null;
  }

  /** Claims one job from the first of `queues` that has one; null when none has. */
  async claim(queues: readonly string[]): Promise<ClaimedJob | null> {
    for (const queue of queues) {
      const [job] = await this.boss.fetch<ShardJobData & ConcludeJobData>(queue, { includeMetadata: true, batchSize: 1 });
      if (!job) continue;
      // pg-boss gives the expiry as numeric text ("900.000000").
      const base = { queue, id: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit, leaseSeconds: Math.round(Number(job.expireInSeconds)) };
      return queue === CONCLUDE_QUEUE ? { ...base, kind: "conclude", data: { runId: job.data.runId } } : { ...base, kind: "shard", data: { runId: job.data.runId, shardId: job.data.shardId } };
    }
    return null;
  }

  /**
   * Renews the claim's lease: another `leaseSeconds` from now. False when the claim is no longer
   * this one (it expired, and the job was handed out again or given up). pg-boss 10 has no way to
   * extend a claim (no heartbeat), and expires an active job once `started_on + expire_in` has
   * passed, so the renewal moves `started_on` to now: `expire_in` stays the lease a claim of the
   * job is sent with, which a job handed out again keeps. `retry_count` goes up with every claim
   * (fetch), so it names this claim.
   */
  async renew(job: ClaimedJob): Promise<boolean> {
    const { rows } = await this.boss.getDb().executeSql(
      `UPDATE ${QUEUE_SCHEMA}.job SET started_on = now() WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3 RETURNING id`,
      [job.queue, job.id, job.retryCount]);
    return rows.length === 1;
  }

  async complete(job: ClaimedJob): Promise<void> {
    await this.boss.complete(job.queue, job.id);
  }

  /** Fails the claim: the job is handed out again until its retry limit, then stays failed with `error`. */
  async fail(job: ClaimedJob, error: string): Promise<void> {
    await this.boss.fail(job.queue, job.id, { error });
  }

  /** The run's jobs the queue gave up on (claimed and failed, or expired, past their retry limit). */
  async failedJobs(runId: string): Promise<{ what: string; error: string }[]> {
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT name, data->>'shardId' AS shard, output FROM ${QUEUE_SCHEMA}.job WHERE state = 'failed' AND data->>'runId' = $1 ORDER BY name, id`, [runId]);
    return rows.map((r: { name: string; shard: string | null; output: { error?: string; value?: { message?: string } } | null }) => ({
      what: r.shard === null ? "analysis" : `shard ${r.shard}`,
      error: r.output?.error ?? r.output?.value?.message ?? "failed",
    }));
  }

  async close(): Promise<void> {
    // Not graceful: a claim in flight stays active until its lease expires, as a dead claimer's does.
    await this.boss.stop({ graceful: false, wait: true });
  }
}

function sendOptions(lease: LeaseOptions): PgBoss.SendOptions {
  // A job handed out again waits a little (a quarter of the lease, at most 30 s), so a job that fails at once does not spin.
  return { expireInSeconds: lease.leaseSeconds, retryLimit: lease.retryLimit, retryDelay: Math.min(30, Math.ceil(lease.leaseSeconds / 4)) };
}
