// The defaults of distributed scans, apart from the queue so `--help` shows them without loading pg-boss.

export interface LeaseOptions {
  /** How long a claim holds a job before another scanner may take it (pg-boss's expiry). */
  leaseSeconds: number;
  /** How many times more a job whose claimer died or failed is handed out. */
  retryLimit: number;
}

export const DISTRIBUTED_DEFAULTS = {
  /** pg-boss's own default expiry: a shard of DEFAULT_SHARD_PROBES probes at the default concurrency and timeouts takes well under it. */
  leaseSeconds: 900,
  retryLimit: 5,
  /** How often a worker looks for expired leases (one process does it per interval across all of them). */
  expiryCheckSeconds: 30,
  /** How often a worker polls empty queues, and a waiting coordinator the run. */
  pollSeconds: 2,
} as const;
