// `pkiscope daemon --config FILE`: scans each profile that has a schedule on that schedule
// (src/daemon/scheduler.ts), into one store, optionally serving its Prometheus metrics. The file
// is read at start for the schedules and again by every run for what to scan. The first
// SIGTERM or SIGINT stops the schedule and interrupts the runs in flight (each is saved marked
// incomplete), then the metrics server and the store are closed and the daemon exits 0; a
// second one exits at once. After each complete run the profile's sinks (as the file said at
// start) get its alerts; an interrupted run alerts nothing. A run that fails (even before it
// could start scanning: the file no longer plans, its trust anchors are gone) is recorded failed
// in the store with its error, and its sinks get the run-failed alert. The metrics served are the
// store's and the daemon's own counts (src/exporter/daemon-series.ts).
import { deliverRunAlerts } from "../alerts/deliver.js";
import { loadConfig } from "../config/load.js";
import { secretEnvNames } from "../config/schema.js";
import { runSchedule } from "../daemon/scheduler.js";
import { THRESHOLDS } from "../engine/defaults.js";
import { type ScanPlan, recordFailedRun, runScan } from "../engine/scan.js";
import { UsageError } from "../errors.js";
import { DaemonSeries } from "../exporter/daemon-series.js";
import { METRICS_PATH, type MetricsServer, startMetricsServer } from "../exporter/server.js";
import type { RunInfo } from "../model/types.js";
import { openStore } from "../store/open.js";
import type { CliIo } from "./index.js";
import { type ProfileProbeOptions, profileScanOptions } from "./profile-scan-options.js";
import { buildScanPlan } from "./scan-command.js";
import { listenPort, loggerFor, withInterrupt } from "./support.js";

export interface DaemonCommandOptions extends ProfileProbeOptions {
  metricsPort?: string;
  metricsHost: string;
}

export async function daemonCommand(options: DaemonCommandOptions, io: CliIo): Promise<number> {
  const log = loggerFor(options, io);
  const config = await loadConfig(options.config, THRESHOLDS);
  const scheduled = Object.entries(config.profiles).flatMap(([name, p]) =>
    p.schedule ? [{ name, schedule: p.schedule, ...(p.quietHours ? { quietHours: p.quietHours } : {}) }] : []);
  if (scheduled.length === 0) throw new UsageError(`${options.config} has no profile with a schedule: nothing for the daemon to run`);
  const metricsPort = options.metricsPort === undefined ? null : listenPort(options.metricsPort, "--metrics-port");
  // Fail on a profile that cannot be planned now, not at its first tick. A run whose plan later
  // fails is recorded with the targets planned here.
  const startPlans = new Map<string, ScanPlan>();
  for (const p of scheduled) startPlans.set(p.name, await buildScanPlan(profileScanOptions(options, p.name), io.env, () => false));

  const store = await openStore(options.db);
  const series = new DaemonSeries(scheduled.map((p) => p.name));
  let metrics: MetricsServer | null = null;
  const alert = async (name: string, runId: string): Promise<void> => {
    const profile = config.profiles[name]!;
    if (profile.sinks.length > 0) await deliverRunAlerts(store, { name, sinks: profile.sinks, secretEnv: secretEnvNames(profile) }, runId, io.env, log);
  };
  try {
    if (metricsPort !== null) {
      metrics = await startMetricsServer(store, {
        host: options.metricsHost, port: metricsPort, alongside: series.registry,
        onError: (err) => log.error(`metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      const { host, port } = metrics.address;
      log.info(`serving metrics at http://${host.includes(":") ? `[${host}]` : host}:${port}${METRICS_PATH}`);
    }
    const counts = await withInterrupt(io, log, (signal) => runSchedule({
      profiles: scheduled, log, signal,
      onCount: (profile, count) => series.count(profile, count),
      async runProfile(name, runSignal) {
        let plan = startPlans.get(name)!;
        const created: { run: RunInfo | null } = { run: null };
        let run: RunInfo;
        try {
          plan = await buildScanPlan(profileScanOptions(options, name), io.env, () => false);
          ({ run } = await runScan(store, plan, { log, signal: runSignal, onRunCreated: (r) => (created.run = r) }));
        } catch (err) {
          const failed = await recordFailedRun(store, plan, created.run, err);
          log.warn(`profile ${name}: run ${failed.id} recorded failed`);
          await alert(name, failed.id);
          throw err;
        }
        if (!run.complete) {
          log.warn(`profile ${name}: run ${run.id} interrupted: saved incomplete`);
          return "interrupted";
        }
        log.info(`profile ${name}: run ${run.id} complete`);
        await alert(name, run.id);
        return "complete";
      },
    }));
    log.info("daemon stopped", { ...counts });
    return 0;
  } finally {
    await metrics?.close();
    await store.close();
  }
}
