// `pkiscope daemon --config FILE`: scans each profile that has a schedule on that schedule
// (src/daemon/scheduler.ts), into one store, optionally serving its Prometheus metrics. The file
// is read at start for the schedules and again by every run for what to scan. The first
// SIGTERM or SIGINT stops the schedule and interrupts the runs in flight (each is saved marked
// incomplete), then the metrics server and the store are closed and the daemon exits 0; a
// second one exits at once. After each complete run the profile's sinks (as the file said at
// start) get its alerts; an interrupted run alerts nothing.
import { deliverRunAlerts } from "../alerts/deliver.js";
import { loadConfig } from "../config/load.js";
import { runSchedule } from "../daemon/scheduler.js";
import { DEFAULT_FETCH, THRESHOLDS } from "../engine/defaults.js";
import { runScan } from "../engine/scan.js";
import { UsageError } from "../errors.js";
import { METRICS_PATH, type MetricsServer, startMetricsServer } from "../exporter/server.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { type CliIo, DEFAULTS, type GlobalOptions } from "./index.js";
import { type ScanCommandOptions, buildScanPlan } from "./scan-command.js";
import { listenPort, loggerFor, withInterrupt } from "./support.js";

export interface DaemonCommandOptions extends GlobalOptions {
  config: string;
  metricsPort?: string;
  metricsHost: string;
  concurrency: string;
  connectTimeout: string;
  handshakeTimeout: string;
  fetch: boolean;
}

export async function daemonCommand(options: DaemonCommandOptions, io: CliIo): Promise<number> {
  const log = loggerFor(options, io);
  const config = await loadConfig(options.config, THRESHOLDS);
  const scheduled = Object.entries(config.profiles).flatMap(([name, p]) =>
    p.schedule ? [{ name, schedule: p.schedule, ...(p.quietHours ? { quietHours: p.quietHours } : {}) }] : []);
  if (scheduled.length === 0) throw new UsageError(`${options.config} has no profile with a schedule: nothing for the daemon to run`);
  const metricsPort = options.metricsPort === undefined ? null : listenPort(options.metricsPort, "--metrics-port");
  // Fail on a profile that cannot be planned now, not at its first tick.
  for (const p of scheduled) await buildScanPlan(scanOptions(options, p.name), io.env, () => false);

  const store = new SqliteStore(options.db);
  let metrics: MetricsServer | null = null;
  try {
    if (metricsPort !== null) {
      metrics = await startMetricsServer(store, {
        host: options.metricsHost, port: metricsPort,
        onError: (err) => log.error(`metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`),
      });
      const { host, port } = metrics.address;
      log.info(`serving metrics at http://${host.includes(":") ? `[${host}]` : host}:${port}${METRICS_PATH}`);
    }
    const counts = await withInterrupt(io, log, (signal) => runSchedule({
      profiles: scheduled, log, signal,
      async runProfile(name, runSignal) {
        const plan = await buildScanPlan(scanOptions(options, name), io.env, () => false);
        const outcome = await runScan(store, plan, { log, signal: runSignal });
        if (!outcome.run.complete) {
          log.warn(`profile ${name}: run ${outcome.run.id} interrupted: saved incomplete`);
          return;
        }
        log.info(`profile ${name}: run ${outcome.run.id} complete`);
        const sinks = config.profiles[name]!.sinks;
        if (sinks.length > 0) await deliverRunAlerts(store, { name, sinks }, outcome.run.id, io.env, log);
      },
    }));
    log.info("daemon stopped", { ...counts });
    return 0;
  } finally {
    await metrics?.close();
    await store.close();
  }
}

/** What `pkiscope scan --config FILE --profile NAME` would be given, with the daemon's own probe options. */
function scanOptions(options: DaemonCommandOptions, profile: string): ScanCommandOptions {
  return {
    db: options.db, config: options.config, profile,
    concurrency: options.concurrency, connectTimeout: options.connectTimeout, handshakeTimeout: options.handshakeTimeout,
    ldapTimeout: String(DEFAULTS.ldapTimeoutMs), revocation: true, fetch: options.fetch,
    fetchTimeout: String(DEFAULT_FETCH.timeoutMs), fetchMaxBytes: String(DEFAULT_FETCH.maxBytes), fetchPerHost: String(DEFAULT_FETCH.perHostConcurrency),
    // The daemon writes no report files: each run stays in the store (pkiscope report renders it).
    out: DEFAULTS.out, report: false, progress: false,
  };
}

