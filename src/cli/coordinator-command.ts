// `pkiscope coordinator`: plans a profile's scan as `pkiscope scan --config --profile` would,
// opens the run in the shared PostgreSQL store and queues its shards for `pkiscope worker`s
// (src/distributed/); prints the run id on stdout. With --wait it stays until the run is
// concluded and exits as the scan would have (0, 1 at --fail-on, 3 when the queue gave up on a
// shard), writing the run's reports when --out is given. --resume RUN picks up a run whose
// coordinator died (before queuing every shard, or while waiting), from the plan in the store.
import { queueRun, resumeRun, waitForRun } from "../distributed/coordinator.js";
import type { LeaseOptions } from "../distributed/defaults.js";
import { ScanQueue } from "../distributed/queue.js";
import { UsageError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RunInfo, Severity } from "../model/types.js";
import { DEFAULT_REPORT_FORMATS, parseReportFormats, writeReports } from "../reports/write.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import type { CliIo } from "./index.js";
import { type ProfileProbeOptions, profileScanOptions } from "./profile-scan-options.js";
import { storedReport } from "./report-command.js";
import { buildScanPlan, failOnExitCode } from "./scan-command.js";
import { loggerFor, positiveInt, withInterrupt } from "./support.js";
import { checkSiteLabel, requirePostgres } from "./worker-command.js";

export interface CoordinatorCommandOptions extends Omit<ProfileProbeOptions, "config"> {
  config?: string;
  profile?: string;
  /** A run to pick up from the store (its plan and shards) instead of planning one. */
  resume?: string;
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

/** What --resume cannot take beside it (by option key, as given): what to scan and how are the stored plan's. */
const PLAN_OPTIONS: Record<string, string> = {
  config: "--config", profile: "--profile", at: "--at", concurrency: "--concurrency", connectTimeout: "--connect-timeout",
  handshakeTimeout: "--handshake-timeout", fetch: "--no-fetch", shardSize: "--shard-size",
};

/** `givenOnCli(key)`: whether the option of that (camel-cased) name was given on the command line. */
export async function coordinatorCommand(options: CoordinatorCommandOptions, io: CliIo, givenOnCli: (key: string) => boolean = () => false): Promise<number> {
  requirePostgres("coordinator", options.db);
  if (!options.wait && (options.out || options.failOn)) throw new UsageError("--out and --fail-on read the concluded run: give --wait too");
  const lease: LeaseOptions = { leaseSeconds: positiveInt(options.leaseSeconds, "--lease-seconds"), retryLimit: nonNegativeInt(options.retryLimit, "--retry-limit") };
  const pollMs = positiveInt(options.pollSeconds, "--poll-seconds") * 1000;
  const formats = options.format === undefined ? DEFAULT_REPORT_FORMATS : parseReportFormats(options.format);
  const open = await runOpener(options, io, givenOnCli, lease);
  const log = loggerFor(options, io);
  const store = await openStore(options.db);
  try {
    const queue = await ScanQueue.open(options.db, { onError: (err) => log.warn(`queue: ${err.message}`) });
    try {
      const run = await open(store, queue, log);
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

/**
 * How this coordinator gets its run, checked before the store is opened: the profile's plan,
 * opened and queued, or the --resume run, queued again.
 */
async function runOpener(
  options: CoordinatorCommandOptions, io: CliIo, givenOnCli: (key: string) => boolean, lease: LeaseOptions,
): Promise<(store: Store, queue: ScanQueue, log: Logger) => Promise<RunInfo>> {
  const { resume, config, profile } = options;
  if (resume !== undefined) {
    const extra = Object.keys(PLAN_OPTIONS).find((key) => givenOnCli(key) || (key === "config" && config !== undefined) || (key === "profile" && profile !== undefined));
    if (extra) throw new UsageError(`--resume ${resume} takes the run's stored plan: drop ${PLAN_OPTIONS[extra]}`);
    return (store, queue, log) => resumeRun(store, queue, resume, lease, log);
  }
  if (config === undefined || profile === undefined) throw new UsageError("give --config and --profile (a run to plan), or --resume RUN (a run to pick up)");
  const plan = {
    ...await buildScanPlan({ ...profileScanOptions({ ...options, config }, profile), ...(options.at !== undefined ? { at: options.at } : {}) }, io.env, () => false),
    shardProbes: positiveInt(options.shardSize, "--shard-size"),
  };
  for (const site of new Set(plan.specs.flatMap((s) => (s.site === undefined ? [] : [s.site])))) checkSiteLabel(site, `profile ${profile}: a network's site`);
  return (store, queue, log) => queueRun(store, queue, plan, lease, { log, signal: new AbortController().signal });
}

function nonNegativeInt(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} takes a whole number, not "${text}"`);
  return Number(text);
}

