// Runs the AD CS collector the way a scan does: into a real SQLite store through the observation
// recorder, and reads back what was stored.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AdcsCollectorOptions, adcsCollector } from "../../collectors/adcs/index.js";
import type { CollectorContext, CollectorTally } from "../../collectors/collector.js";
import type { AdcsSnapshot } from "../../src/model/adcs.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { type Logger, silentLogger } from "../../src/log.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { RunContents } from "../../src/store/store.js";
import { ExclusionList } from "../../src/targets/targets.js";
import { type AdcsLab, labPassword } from "./lab.js";

export interface Collected {
  store: SqliteStore;
  dbPath: string;
  runId: string;
  recorder: ObservationRecorder;
  tally: CollectorTally;
  contents: RunContents;
  snapshot: AdcsSnapshot;
  elapsedMs: number;
}

/** Lab defaults: LDAPS without verification (Samba's certificate is self-signed), the lab's Administrator. */
export function labOptions(lab: AdcsLab, overrides: Partial<AdcsCollectorOptions> = {}): AdcsCollectorOptions {
  return { url: lab.ldapsUrl, bindDn: lab.bindDn, password: labPassword(), insecure: true, ...overrides };
}

export function collectorContext(recorder: ObservationRecorder, log: Logger = silentLogger, exclude: string[] = []): CollectorContext {
  return {
    recorder, log, signal: new AbortController().signal, exclusions: new ExclusionList(exclude),
    timeouts: { connectMs: 3000, handshakeMs: 3000 }, concurrency: 4, onProgress: () => {},
  };
}

/** Collects into a fresh store; the caller closes `store` (or keeps using it, as a scan would). */
export async function collect(
  options: AdcsCollectorOptions,
  { log = silentLogger, exclude = [] }: { log?: Logger; exclude?: string[] } = {},
): Promise<Collected> {
  const dbPath = join(mkdtempSync(join(tmpdir(), "pkiscope-adcs-")), "pkiscope.db");
  const store = new SqliteStore(dbPath);
  const run = await store.createRun({ targets: [], ports: [], options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  const started = Date.now();
  const tally = await adcsCollector.collect(options, collectorContext(recorder, log, exclude));
  const elapsedMs = Date.now() - started;
  await recorder.flush();
  const contents = await store.loadRun(run.id);
  const snapshot = contents.snapshots.find((s) => s.kind === "adcs")?.snapshot as AdcsSnapshot;
  return { store, dbPath, runId: run.id, recorder, tally, contents, snapshot, elapsedMs };
}
