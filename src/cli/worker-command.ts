// `pkiscope worker`: claims shards of distributed runs from the shared PostgreSQL store's queue
// and scans them (src/distributed/worker.ts), until stopped, or idle for --idle-exit seconds
// (--once: as soon as nothing is left to claim). The first SIGTERM or SIGINT stops claiming and
// lets the shard in hand finish, then the worker exits 0; a second one exits at once (130), and
// that shard goes to another worker when its lease expires.
import { ScanQueue } from "../distributed/queue.js";
import { runWorker } from "../distributed/worker.js";
import { UsageError } from "../errors.js";
import { isPostgresSpec, openStore } from "../store/open.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { type InterruptMessages, loggerFor, positiveInt, withInterrupt } from "./support.js";

export interface WorkerCommandOptions extends GlobalOptions {
  site?: string;
  concurrency?: string;
  once?: boolean;
  idleExit?: string;
  pollSeconds: string;
  expiryCheckSeconds: string;
}

/** Site labels become queue names: kept to letters, digits and . _ - so every label names one queue. */
const SITE_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Refuses a site label a worker could not be started with (`where` names what gave it). */
export function checkSiteLabel(site: string, where: string): void {
  if (!SITE_LABEL.test(site)) throw new UsageError(`${where} takes a site label of letters, digits, ".", "_" and "-" (at most 63), not "${site}"`);
}

/** A worker told to stop finishes the job in hand: a shard's lease would otherwise have to expire. */
const DRAIN: InterruptMessages = {
  first: "stopping: claiming nothing more, finishing the job in hand (signal again to exit now)",
  again: "stopped again: exiting now; the shard in hand goes to another worker when its lease expires",
};

/** Distributed scans share one PostgreSQL store: a SQLite file cannot be reached by other machines. */
export function requirePostgres(command: string, db: string): void {
  if (!isPostgresSpec(db)) throw new UsageError(`pkiscope ${command} needs the shared PostgreSQL store: --db postgres://user@host/database (a SQLite file is one machine's)`);
}

export async function workerCommand(options: WorkerCommandOptions, io: CliIo): Promise<number> {
  requirePostgres("worker", options.db);
  if (options.site !== undefined) checkSiteLabel(options.site, "--site");
  if (options.once && options.idleExit !== undefined) throw new UsageError("give --once or --idle-exit, not both");
  const idleExitMs = options.once ? 0 : options.idleExit === undefined ? null : positiveInt(options.idleExit, "--idle-exit") * 1000;
  const concurrency = options.concurrency === undefined ? null : positiveInt(options.concurrency, "--concurrency");
  const pollMs = positiveInt(options.pollSeconds, "--poll-seconds") * 1000;
  const expiryCheckSeconds = positiveInt(options.expiryCheckSeconds, "--expiry-check-seconds");
  const log = loggerFor(options, io);
  const store = await openStore(options.db);
  try {
    const queue = await ScanQueue.open(options.db, { expiryCheckSeconds, onError: (err) => log.warn(`queue: ${err.message}`) });
    try {
      const tally = await withInterrupt(io, log, (stop) =>
        runWorker(store, queue, { site: options.site ?? null, concurrency, pollMs, idleExitMs }, { log, stop, env: io.env }), DRAIN);
      log.info("worker stopped", { ...tally });
      return 0;
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
}
