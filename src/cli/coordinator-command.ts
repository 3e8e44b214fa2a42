// `pkiscope coordinator`: plans a profile's scan as `pkiscope scan --config --profile` would,
// opens the run in the shared PostgreSQL store and queues its shards for `pkiscope worker`s
// (src/distributed/); prints the run id on stdout. With --wait it stays until the run is
// concluded and exits as the scan would have (0, 1 at --fail-on, 3 when the queue gave up on a
// shard), writing the run's reports when --out is given.
import { queueRun, waitForRun } from "../distributed/coordinator.js";
import type { LeaseOptions } from "../distributed/defaults.js";
import { ScanQueue } from "../distributed/queue.js";
import { UsageError } from "../errors.js";
import type { Severity } from "../model/types.js";
import { DEFAULT_REPORT_FORMATS, parseReportFormats, writeReports } from "../reports/write.js";
import { openStore } from "../store/open.js";
import type { CliIo } from "./index.js";
import { type ProfileProbeOptions, profileScanOptions } from "./profile-scan-options.js";
import { storedReport } from "./report-command.js";
import { buildScanPlan, failOnExitCode } from "./scan-command.js";
import { loggerFor, positiveInt, withInterrupt } from "./support.js";
import { checkSiteLabel, requirePostgres } from "./worker-command.js";

export interface CoordinatorCommandOptions extends ProfileProbeOptions {
  profile: string;
  at?: string;
  shardSize: string;
  leaseSeconds: string;
  retryLimit: string;
  wait?: boolean;
  pollSeconds: string;
  out?: string;
  format?: string;
  failOn?: Severity;
}

export async function coordinatorCommand(options: CoordinatorCommandOptions, io: CliIo): Promise<number> {
  requirePostgres("coordinator", options.db);
  if (!options.wait && (options.out || options.failOn)) throw new UsageError("--out and --fail-on read the concluded run: give --wait too");
  const lease: LeaseOptions = { leaseSeconds: positiveInt(options.leaseSeconds, "--lease-seconds"), retryLimit: nonNegativeInt(options.retryLimit, "--retry-limit") };
  const pollMs = positiveInt(options.pollSeconds, "--poll-seconds") * 1000;
  const formats = options.format === undefined ? DEFAULT_REPORT_FORMATS : parseReportFormats(options.format);
  const plan = {
    ...await buildScanPlan({ ...profileScanOptions(options, options.profile), ...(options.at !== undefined ? { at: options.at } : {}) }, io.env, () => false),
    shardProbes: positiveInt(options.shardSize, "--shard-size"),
  };
  for (const site of new Set(plan.specs.flatMap((s) => (s.site === undefined ? [] : [s.site])))) checkSiteLabel(site, `profile ${options.profile}: a network's site`);
  const log = loggerFor(options, io);
  const store = await openStore(options.db);
  try {
    const queue = await ScanQueue.open(options.db, { onError: (err) => log.warn(`queue: ${err.message}`) });
    try {
      const run = await queueRun(store, queue, plan, lease, { log, signal: new AbortController().signal });
      io.stdout.write(`${run.id}\n`);
      if (!options.wait) return 0;
      const outcome = await withInterrupt(io, log, (signal) => waitForRun(store, queue, run.id, { pollMs, lease, log, signal }));
      if (outcome.kind === "stopped") {
        log.warn(`stopped waiting: run ${run.id} goes on in the workers (pkiscope report --run ${run.id} once it is concluded)`);
        return 130;
      }
      if (outcome.kind === "failed") {
        log.error(`run ${run.id} cannot be concluded: ${outcome.error}`);
        return 3;
      }
      const report = await storedReport(store, run.id);
      if (options.out) log.info(`reports: ${(await writeReports(report, options.out, formats)).join(", ")}`);
      log.info(`run ${run.id} ${report.scan.complete ? "complete" : "incomplete"}: ${report.findings.length} findings`);
      if (!report.scan.complete) return 130;
      return failOnExitCode(options.failOn, report.summary.findingsBySeverity);
    } finally {
      await queue.close();
    }
  } finally {
    await store.close();
  }
}

function nonNegativeInt(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} takes a whole number, not "${text}"`);
  return Number(text);
}

