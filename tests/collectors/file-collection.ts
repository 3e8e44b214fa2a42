// Runs the file collector alone into a fresh store, as a scan would, and returns what it
// recorded: the tally, the sightings and the warnings it logged.
import { join } from "node:path";
import { fileCollector } from "../../collectors/files/index.js";
import type { CollectorTally } from "../../collectors/collector.js";
import { type Logger, silentLogger } from "../../src/log.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import type { RunContents } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList } from "../../src/targets/targets.js";

export interface FileCollection {
  tally: CollectorTally;
  contents: RunContents;
  warnings: string[];
}

/** Collects `paths`, keeping the store in `workDir` under a name of its own. */
export async function collectFiles(workDir: string, paths: string[]): Promise<FileCollection> {
  const store = new SqliteStore(join(workDir, `files-${Math.random().toString(36).slice(2)}.db`));
  const run = await store.createRun({ targets: [], ports: [], options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const tally = await fileCollector.collect(
    { paths },
    {
      recorder, log, signal: new AbortController().signal, exclusions: new ExclusionList([]),
      timeouts: { connectMs: 1, handshakeMs: 1 }, concurrency: 1, onProgress: () => {},
    },
  );
  await recorder.close();
  const contents = await store.loadRun(run.id);
  await store.close();
  return { tally, contents, warnings };
}
