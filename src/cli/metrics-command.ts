// `pkiscope metrics`: the store's Prometheus metrics, printed once, or served at /metrics until
// interrupted. Reads the store only.
import { once } from "node:events";
import type { MetricsOptions } from "../exporter/options.js";
import { collectRegistry } from "../exporter/registry.js";
import { METRICS_PATH, startMetricsServer } from "../exporter/server.js";
import { UsageError } from "../errors.js";
import { openStore } from "../store/open.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { listenPort, loggerFor, positiveInt } from "./support.js";

export interface MetricsCommandOptions extends GlobalOptions {
  /** Port to serve /metrics on (0: any free port); absent: print once. */
  serve?: string;
  host: string;
  maxCertificateSeries: string;
  maxLabelLength: string;
}

function metricsOptions(options: MetricsCommandOptions): MetricsOptions {
  const maxLabelLength = positiveInt(options.maxLabelLength, "--max-label-length");
  // A cap of 0 is meaningful: expiry series off, the dropped gauge still counts them.
  if (!/^\d+$/.test(options.maxCertificateSeries)) throw new UsageError(`--max-certificate-series takes a whole number, not "${options.maxCertificateSeries}"`);
  return { maxCertificateSeries: Number(options.maxCertificateSeries), maxLabelLength };
}

export async function metricsCommand(options: MetricsCommandOptions, io: CliIo): Promise<number> {
  const metrics = metricsOptions(options);
  const port = options.serve === undefined ? null : listenPort(options.serve, "--serve");
  const store = await openStore(options.db);
  try {
    if (port === null) {
      io.stdout.write(await (await collectRegistry(store, metrics)).metrics());
      return 0;
    }
    const log = loggerFor(options, io);
    const server = await startMetricsServer(store, {
      host: options.host, port, metrics,
      onError: (err) => log.error(`metrics scrape failed: ${err instanceof Error ? err.message : String(err)}`),
    });
    const host = server.address.host.includes(":") ? `[${server.address.host}]` : server.address.host;
    log.info(`serving metrics at http://${host}:${server.address.port}${METRICS_PATH} (interrupt to stop)`);
    await untilInterrupted(io);
    await server.close();
    return 0;
  } finally {
    await store.close();
  }
}

/** Resolves on SIGINT, SIGTERM or the caller's interrupt signal. */
async function untilInterrupted(io: CliIo): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  io.interrupt?.addEventListener("abort", onSignal, { once: true });
  if (io.interrupt?.aborted) stop.abort();
  try {
    if (!stop.signal.aborted) await once(stop.signal, "abort");
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    io.interrupt?.removeEventListener("abort", onSignal);
  }
}
