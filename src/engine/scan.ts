// One scan, start to end: targets → collectors → observations (store) → inventory and paths →
// rules → findings (store). Reports are rendered from the store afterwards. An interrupt stops
// new probes, analyses what was collected and marks the run incomplete.
import { setMaxListeners } from "node:events";
import { fileCollector } from "../../collectors/files/index.js";
import { tlsCollector } from "../../collectors/tls/index.js";
import type { CollectorContext, CollectorTally, ProbeTimeouts } from "../../collectors/collector.js";
import { RULES } from "../../rules/index.js";
import { analysePaths } from "../inventory/analyse.js";
import { buildInventoryView } from "../inventory/inventory.js";
import { ObservationRecorder } from "../inventory/recorder.js";
import { loadTrustAnchors } from "../inventory/trust-anchors.js";
import type { Logger } from "../log.js";
import type { RunInfo } from "../model/types.js";
import type { Store } from "../store/store.js";
import { ExclusionList, type TargetSpec, countProbes } from "../targets/targets.js";
import { runRules } from "./rule-runner.js";

export interface ScanPlan {
  /** The target items as given, for the record. */
  targetTexts: string[];
  specs: TargetSpec[];
  ports: number[];
  exclude: string[];
  files: string[];
  trustAnchors: string | null;
  concurrency: number;
  timeouts: ProbeTimeouts;
  expiryDays: number;
  fetchAia: boolean;
  aiaTimeoutMs: number;
}

export interface ScanHooks {
  log: Logger;
  signal: AbortSignal;
  /** Total units of work (probes + file paths), then one call per unit done. */
  onStart?(total: bigint): void;
  onProgress?(outcome: string): void;
}

export interface ScanOutcome {
  run: RunInfo;
  findingCount: number;
}

export async function runScan(store: Store, plan: ScanPlan, hooks: ScanHooks): Promise<ScanOutcome> {
  const { log, signal } = hooks;
  // Every probe in flight listens for the interrupt; that is by design, not a leak.
  setMaxListeners(plan.concurrency * 2 + 16, signal);
  const anchors = await loadTrustAnchors(plan.trustAnchors);
  const exclusions = new ExclusionList(plan.exclude);
  const run = await store.createRun({
    targets: plan.targetTexts,
    ports: plan.ports,
    options: {
      exclude: plan.exclude, files: plan.files, trustAnchors: anchors.source, concurrency: plan.concurrency,
      connectTimeoutMs: plan.timeouts.connectMs, handshakeTimeoutMs: plan.timeouts.handshakeMs,
      expiryDays: plan.expiryDays, fetchAia: plan.fetchAia,
    },
  });
  log.info(`run ${run.id} started`);
  const recorder = new ObservationRecorder(store, run.id);
  if (anchors.explicit) {
    for (const a of anchors.anchors) {
      await recorder.addSighting({ der: a.der, source: "anchor", location: anchors.source, position: null, observedAt: run.startedAt });
    }
  }

  const probeTotal = plan.specs.length > 0 ? countProbes(plan.specs, plan.ports) : 0n;
  hooks.onStart?.(probeTotal + BigInt(plan.files.length));
  const ctx: CollectorContext = {
    recorder, log, signal, exclusions, timeouts: plan.timeouts, concurrency: plan.concurrency,
    onProgress: (outcome) => hooks.onProgress?.(outcome),
  };
  const tallies: Record<string, CollectorTally> = {};
  if (plan.specs.length > 0) tallies.tls = await tlsCollector.collect({ specs: plan.specs, ports: plan.ports }, ctx);
  if (plan.files.length > 0) tallies.files = await fileCollector.collect({ paths: plan.files }, ctx);

  const { paths, aiaFetches } = await analysePaths(
    store, run.id, recorder, anchors, { fetchAia: plan.fetchAia && !signal.aborted, aiaTimeoutMs: plan.aiaTimeoutMs }, log,
  );
  await recorder.close();
  const contents = await store.loadRun(run.id);
  const view = buildInventoryView({ ...contents, paths }, { expiryDays: plan.expiryDays });
  const { findings, failures } = runRules(RULES, view);
  for (const f of failures) log.error(`rule ${f.ruleId} failed: ${f.error}`);
  await store.saveAnalysis(run.id, { paths, findings, ruleFailures: failures });

  const complete = !signal.aborted;
  const stats = {
    probes: probeTotal.toString(),
    collectors: tallies,
    certificatesParsed: recorder.parsedCount,
    unparsableCertificates: view.unparsable.length,
    aiaFetches,
    interrupted: !complete,
  };
  await store.finishRun(run.id, complete, stats);
  const finished = (await store.findRun(run.id))!;
  log.info(`run ${run.id} ${complete ? "complete" : "interrupted"}: ${findings.length} findings`);
  return { run: finished, findingCount: findings.length };
}
