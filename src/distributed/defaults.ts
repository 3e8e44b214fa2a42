// The defaults of distributed scans, apart from the queue so `--help` shows them without loading pg-boss.

export interface LeaseOptions {
  /** How long a claim holds a job before another scanner may take it (pg-boss's expiry). */
  leaseSeconds: number;
  /** How many times more a job whose claimer died or failed is handed out. */
  retryLimit: number;
}

export const DISTRIBUTED_DEFAULTS = {
  /**
   * Since a live worker renews its lease every third of it, the lease is only how long a dead
   * worker's job waits before another worker may take it (was 900, pg-boss's default, when it
   * had to outlast the longest shard). 120 s: renewed every 40 s, so a claim survives an event
   * loop stalled for 80 s; the longest stretch a worker spends on one task, the analysis of
   * 100,000 certificates, is 18 s in all (docs/benchmarks.md), and a database away for longer
   * than the store's retries (about 12 s) fails the job anyway. A dead worker's shard now waits
   * about 3 minutes (lease, expiry check, retry delay), not 16.
   */
  leaseSeconds: 120,
  retryLimit: 5,
  /** How often a worker looks for expired leases (one process does it per interval across all of them). */
  expiryCheckSeconds: 30,
  /** How often a worker polls empty queues, and a waiting coordinator the run. */
  pollSeconds: 2,
} as const;
