// `pkiscope demo`: a sample PKI with deliberate defects, served on loopback, scanned like any
// network, reported like any scan. Nothing leaves 127.0.0.0/8.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../engine/scan.js";
import { endpointId } from "../model/types.js";
import { UsageError } from "../errors.js";
import { buildReport } from "../reports/report-model.js";
import { writeReports } from "../reports/write.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { parsePort } from "../targets/targets.js";
import { DEFAULTS, type CliIo, type GlobalOptions } from "./index.js";
import { loggerFor, progressFor, withInterrupt } from "./support.js";

export interface DemoCommandOptions extends GlobalOptions {
  out: string;
  prefix: string;
  port: string;
  progress: boolean;
}

export async function demoCommand(options: DemoCommandOptions, io: CliIo): Promise<number> {
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(options.prefix)) throw new UsageError(`--prefix must be a loopback /24 such as 127.77.0, not "${options.prefix}"`);
  const log = loggerFor(options, io);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  log.info("generating the sample PKI and starting its services on loopback...");
  const network = await startSampleNetwork({ prefix: options.prefix, port: parsePort(options.port, "--port"), workDir: join(out, "sample") });
  const dbPath = options.db === DEFAULTS.db ? join(out, "pkiscope.db") : options.db;
  const store = new SqliteStore(dbPath);
  try {
    const progress = progressFor(options, io);
    const outcome = await withInterrupt(io, log, (signal) =>
      runScan(
        store,
        sampleScanPlan(network),
        { log, signal, onStart: progress.start, onProgress: progress.tick, onCollected: progress.stop },
      ),
    );
    const report = buildReport(outcome.view, outcome.conclusions);
    const written = await writeReports(report, out);
    io.stdout.write(`\nSample network ${network.cidr} port ${network.port}:\n`);
    for (const e of network.endpoints) {
      const id = endpointId({ address: e.address, port: e.port, sni: null });
      const found = report.findings.filter((f) => f.endpoints.includes(id)).map((f) => f.ruleId);
      const status = report.inventory.endpoints.find((x) => x.id === id)?.status ?? "closed";
      io.stdout.write(`  ${id.padEnd(20)} ${status.padEnd(8)} ${e.description.padEnd(68)} ${[...new Set(found)].join(", ")}\n`);
    }
    io.stdout.write(`\n${report.findings.length} findings. Reports:\n${written.map((p) => `  ${p}`).join("\n")}\nStore: ${dbPath}\n`);
    return 0;
  } finally {
    await store.close();
    await network.close();
  }
}
