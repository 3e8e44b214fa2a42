// One scan, start to end: targets → collectors → observations (store) → inventory and paths →
// revocation sources found in it → rules → findings (store). Reports are rendered from the
// store afterwards. An interrupt stops new work, analyses what was collected and marks the run
// incomplete.
import { setMaxListeners } from "node:events";
import type { CollectorContext, CollectorTally, ProbeTimeouts } from "../../collectors/collector.js";
import { type AdcsCollectorOptions, collectAdcsSources, describeLdapSource } from "../../collectors/adcs/index.js";
import { fileCollector } from "../../collectors/files/index.js";
import { tlsCollector } from "../../collectors/tls/index.js";
import { RULES } from "../../rules/index.js";
import { analysePaths } from "../inventory/analyse.js";
import { type InventorySettings, buildInventoryView } from "../inventory/inventory.js";
import { ObservationRecorder } from "../observations/recorder.js";
import { loadTrustAnchors } from "../inventory/trust-anchors.js";
import type { Logger } from "../log.js";
import type { RunInfo } from "../model/types.js";
import { FetchPolicy, type FetchPolicyOptions } from "../net/fetch-policy.js";
import { UrlFetcher } from "../net/fetcher.js";
import type { Store } from "../store/store.js";
import { ExclusionList, type TargetSpec, countProbes } from "../targets/targets.js";
import type { RevocationPlan } from "./defaults.js";
import { collectRevocation } from "./revocation-stage.js";
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
  /** URLs from certificates (AIA, CRL, OCSP): what may be fetched, and how. */
  fetch: FetchPolicyOptions;
  revocation: RevocationPlan;
  /** Thresholds the rules apply. */
  settings: InventorySettings;
  /** Domain controllers to read AD CS from (--ldap), with the bind password. */
  ldap?: AdcsCollectorOptions[];
}

export interface ScanHooks {
  log: Logger;
  signal: AbortSignal;
  /** Total units of work (probes + file paths), then one call per unit done. */
  onStart?(total: bigint): void;
  onProgress?(outcome: string): void;
  /** Collection is over (analysis follows): the moment to take a progress bar down. */
  onCollected?(): void;
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
  const fetcher = plan.fetch.enabled ? new UrlFetcher(new FetchPolicy(plan.fetch)) : null;
  const run = await store.createRun({
    targets: plan.targetTexts,
    ports: plan.ports,
    options: {
      exclude: plan.exclude, files: plan.files, trustAnchors: anchors.source, concurrency: plan.concurrency,
      connectTimeoutMs: plan.timeouts.connectMs, handshakeTimeoutMs: plan.timeouts.handshakeMs,
      fetch: plan.fetch, revocation: plan.revocation, settings: plan.settings,
      ldap: (plan.ldap ?? []).map(describeLdapSource),
    },
  });
  log.info(`run ${run.id} started`);
  const recorder = new ObservationRecorder(store, run.id);
  try {
    if (anchors.explicit) {
      for (const a of anchors.anchors) {
        await recorder.addSighting({ der: a.der, source: "anchor", location: anchors.source, position: null, observedAt: run.startedAt });
      }
    }

    const probeTotal = plan.specs.length > 0 ? countProbes(plan.specs, plan.ports) : 0n;
    const ldapSources = plan.ldap ?? [];
    hooks.onStart?.(probeTotal + BigInt(plan.files.length + ldapSources.length));
    const ctx: CollectorContext = {
      recorder, log, signal, exclusions, timeouts: plan.timeouts, concurrency: plan.concurrency,
      onProgress: (outcome) => hooks.onProgress?.(outcome),
    };
    const tallies: Record<string, CollectorTally> = {};
    if (plan.specs.length > 0) tallies.tls = await tlsCollector.collect({ specs: plan.specs, ports: plan.ports }, ctx);
    if (plan.files.length > 0) tallies.files = await fileCollector.collect({ paths: plan.files }, ctx);
    if (ldapSources.length > 0) tallies.adcs = await collectAdcsSources(ldapSources, ctx);

    hooks.onCollected?.();
    const liveFetcher = signal.aborted ? null : fetcher;
    const { paths, aiaFetches } = await analysePaths(store, run.id, recorder, anchors, liveFetcher, log);
    if (!signal.aborted) {
      Object.assign(tallies, await collectRevocation(await store.loadRun(run.id), paths, plan.revocation, liveFetcher, ctx));
    }
    await recorder.close();

    const contents = await store.loadRun(run.id);
    const view = buildInventoryView({ ...contents, paths }, plan.settings);
    const { findings, failures } = runRules(RULES, view);
    for (const f of failures) log.error(`rule ${f.ruleId} failed: ${f.error}`);
    await store.saveAnalysis(run.id, { paths, findings, ruleFailures: failures });

    const complete = !signal.aborted;
    await store.finishRun(run.id, complete, {
      probes: probeTotal.toString(),
      collectors: tallies,
      certificatesParsed: recorder.parsedCount,
      unparsableCertificates: view.unparsable.length,
      aiaFetches,
      interrupted: !complete,
    });
    log.info(`run ${run.id} ${complete ? "complete" : "interrupted"}: ${findings.length} findings`);
    return { run: (await store.findRun(run.id))!, findingCount: findings.length };
  } finally {
    await recorder.close();
    await fetcher?.close();
  }
}
