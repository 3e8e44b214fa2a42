// One scan, start to end: targets → collectors (first pass: the scan's own targets; then AIA
// issuers, CRLs and OCSP responders those named) → observations (store) → one read of the run →
// analysis (paths, revocation judgements) → inventory view → rules → findings and outcomes
// (store), all judged at one validation time (now, or --at; see judge.ts). The caller renders
// reports from the returned view, the same one the rules read. An interrupt stops new work,
// analyses what was collected and marks the run incomplete.
import { setMaxListeners } from "node:events";
import type { CollectorContext, CollectorTally, ProbeTimeouts } from "../../collectors/collector.js";
import { SOURCE_COLLECTORS, type AdcsCollectorOptions, describeLdapSource } from "../../collectors/index.js";
import type { InventoryView } from "../inventory/inventory.js";
import { loadTrustAnchors } from "../inventory/trust-anchors.js";
import type { Logger } from "../log.js";
import { loadPkicMapping } from "../maturity/pkic.js";
import { loadQuestionnaire, questionsSettling } from "../maturity/questionnaire.js";
import { defaultRubricPath, loadRubric } from "../maturity/rubric.js";
import type { ProfileRecord } from "../model/profile.js";
import type { RunInfo } from "../model/types.js";
import { FetchPolicy, type FetchPolicyOptions } from "../net/fetch-policy.js";
import { UrlFetcher } from "../net/fetcher.js";
import { ObservationRecorder } from "../observations/recorder.js";
import type { RunConclusions, Store } from "../store/store.js";
import { ExclusionList, type TargetSpec } from "../targets/targets.js";
import type { RevocationPlan } from "./defaults.js";
import { collectIssuers, collectRevocation } from "./follow-up.js";
import { judgeObservations } from "./judge.js";

// The CLI describes LDAP sources in the collector's terms; it reaches them through the engine.
export { type AdcsCollectorOptions, parseLdapUrl } from "../../collectors/index.js";
// Target schemes and --starttls name STARTTLS protocols of the TLS collector's registry.
export { parseStartTlsPorts, startTlsSpecs } from "../../collectors/tls/starttls/index.js";

export interface ScanPlan {
  /** The target items as given, for the record. */
  targetTexts: string[];
  specs: TargetSpec[];
  ports: number[];
  exclude: string[];
  files: string[];
  /** The password of keystores and encrypted keys under `files` (--keystore-password-env); never recorded. */
  keystorePassword?: string | null;
  trustAnchors: string | null;
  concurrency: number;
  timeouts: ProbeTimeouts;
  /** URLs from certificates (AIA, CRL, OCSP): what may be fetched, and how. */
  fetch: FetchPolicyOptions;
  revocation: RevocationPlan;
  /** Values of the thresholds the rules declare (see THRESHOLDS). */
  thresholds: Record<string, number>;
  /** Domain controllers to read AD CS from (--ldap), with the bind password. */
  ldap?: AdcsCollectorOptions[];
  /** The maturity rubric (--rubric); default rules/maturity/keyfactor-rubric.json. */
  rubric?: string;
  /** The PKI Consortium model mapping (--pkic-mapping); default rules/maturity/pkic-mapping.json. */
  pkicMapping?: string;
  /** The run's recorded start, for replaying a schedule (tests of scan cadence); default now. Nothing else is shifted. */
  startedAt?: Date;
  /** The validation time (--at): every time-dependent verdict is judged as of it; default the moment the analysis starts. */
  at?: Date;
  /** The config profile scanned (--profile): recorded with the run, so the inventory knows who owns what. */
  profile?: ProfileRecord;
  /** Protocol posture (--protocols): one extra handshake per TLS version on every TLS endpoint. */
  protocols?: boolean;
  /** STARTTLS by port (--starttls PORT=PROTO): the protocol, or null for TLS at once; other ports speak their default. */
  starttls?: Record<number, string | null>;
}

export interface ScanHooks {
  log: Logger;
  signal: AbortSignal;
  /** Total units of work (probes + file paths + directories), then one call per unit done. */
  onStart?(total: bigint): void;
  onProgress?(outcome: string): void;
  /** Collection is over (analysis follows): the moment to take a progress bar down. */
  onCollected?(): void;
  /** The run is in the store: from here on a failure of the scan leaves it behind (see recordFailedRun). */
  onRunCreated?(run: RunInfo): void;
}

/** The run's analysis product: what rules saw and concluded, for reports and maturity scoring. */
export interface ScanOutcome {
  run: RunInfo;
  view: InventoryView;
  conclusions: RunConclusions;
}

export async function runScan(store: Store, plan: ScanPlan, hooks: ScanHooks): Promise<ScanOutcome> {
  const { log, signal } = hooks;
  // Every probe in flight listens for the interrupt; that is by design, not a leak.
  setMaxListeners(plan.concurrency * 2 + 16, signal);
  const trust = await loadTrustAnchors(plan.trustAnchors);
  // A bad rubric or mapping is a usage error before any packet is sent.
  const rubric = loadRubric(plan.rubric ?? defaultRubricPath());
  // The scan has no answers, but its report names the question that would settle what it could not see.
  const settledBy = questionsSettling(loadQuestionnaire());
  const pkicMapping = loadPkicMapping(plan.pkicMapping);
  const exclusions = new ExclusionList(plan.exclude);
  const fetcher = plan.fetch.enabled ? new UrlFetcher(new FetchPolicy(plan.fetch)) : null;
  const run = await store.createRun({
    targets: plan.targetTexts,
    ports: plan.ports,
    options: {
      exclude: plan.exclude, files: plan.files, trustAnchors: trust.source, concurrency: plan.concurrency,
      connectTimeoutMs: plan.timeouts.connectMs, handshakeTimeoutMs: plan.timeouts.handshakeMs,
      fetch: plan.fetch, revocation: plan.revocation, thresholds: plan.thresholds,
      ldap: (plan.ldap ?? []).map(describeLdapSource),
      ...(plan.protocols ? { protocols: true } : {}),
      ...(plan.starttls && Object.keys(plan.starttls).length > 0 ? { starttls: plan.starttls } : {}),
      ...(plan.timeouts.starttlsStepMs ? { starttlsStepTimeoutMs: plan.timeouts.starttlsStepMs } : {}),
      ...(plan.profile ? { profile: plan.profile } : {}),
    },
    ...(plan.startedAt ? { startedAt: plan.startedAt.toISOString() } : {}),
  });
  log.info(`run ${run.id} started`);
  hooks.onRunCreated?.(run);
  const recorder = new ObservationRecorder(store, run.id);
  // Wall time of each stage, in the run's statistics (benchmarks read them).
  const timingsMs: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string): void => {
    const now = performance.now();
    timingsMs[stage] = Math.round(now - mark);
    mark = now;
  };
  try {
    // An explicit bundle is part of what the scan was given: it enters the inventory whole.
    if (trust.explicit) {
      for (const a of trust.anchors) {
        await recorder.addSighting({ der: a.der, source: "anchor", location: trust.source, position: null, observedAt: run.startedAt });
      }
    }
    const sources = { specs: plan.specs, ports: plan.ports, files: plan.files, keystorePassword: plan.keystorePassword ?? null, ldap: plan.ldap ?? [], protocols: plan.protocols ?? false, starttls: plan.starttls ?? {} };
    const active = SOURCE_COLLECTORS.map((c) => ({ collector: c, units: c.units(sources) })).filter((a) => a.units > 0n);
    hooks.onStart?.(active.reduce((n, a) => n + a.units, 0n));
    const ctx: CollectorContext = {
      recorder, log, signal, exclusions, timeouts: plan.timeouts, concurrency: plan.concurrency,
      onProgress: (outcome) => hooks.onProgress?.(outcome),
    };
    const tallies: Record<string, CollectorTally> = {};
    for (const { collector } of active) {
      if (signal.aborted) break;
      tallies[collector.meta.name] = await collector.collect(sources, ctx);
    }
    hooks.onCollected?.();
    lap("collection");

    const followUp = { ...ctx, recorder, store, runId: run.id, trust };
    if (fetcher && !signal.aborted) tallies.aia = await collectIssuers(fetcher, followUp);
    if (!signal.aborted) Object.assign(tallies, await collectRevocation(plan.revocation, fetcher, followUp));
    await recorder.close();
    lap("followUp");

    // The analysis reads the run once; rules and reports share the view built from it.
    const observations = await store.loadObservations(run.id);
    lap("load");
    const { analysis, view, conclusions } = await judgeObservations(store, observations, {
      trust, checkStaples: plan.revocation.enabled, thresholds: plan.thresholds,
      ...(plan.at ? { validationTime: plan.at } : {}), rubric, pkicMapping, settledBy,
    }, lap);
    const { findings } = conclusions;
    for (const f of conclusions.ruleFailures) log.error(`rule ${f.ruleId} failed: ${f.error}`);
    await store.saveAnalysis(run.id, analysis, conclusions);
    lap("save");

    const complete = !signal.aborted;
    const stats = {
      probes: (active.find((a) => a.collector.meta.name === "tls")?.units ?? 0n).toString(),
      collectors: tallies,
      certificatesParsed: recorder.parsedCount,
      unparsableCertificates: view.unparsable.length,
      aiaFetches: observations.fetches.flatMap((f) => (f.kind === "aia" ? [{ url: f.fetch.url, error: f.fetch.error }] : [])),
      interrupted: !complete,
      timingsMs,
    };
    const finished = await store.finishRun(run.id, complete, stats);
    log.info(`run ${run.id} ${complete ? "complete" : "interrupted"}: ${findings.length} findings`);
    return { run: finished, view: { ...view, run: finished }, conclusions };
  } finally {
    await recorder.close();
    await fetcher?.close();
  }
}

/**
 * Records that a scan of the plan failed, so whoever watches the store (metrics, alerts) sees it:
 * the run it created (`created`, as onRunCreated gave it) is finished failed with what it had
 * observed; when it failed before creating one (trust anchors or rubric unreadable), a run is
 * recorded failed with no observations. Either way `stats.failure` holds the error.
 */
export async function recordFailedRun(store: Store, plan: Pick<ScanPlan, "targetTexts" | "ports" | "profile">, created: RunInfo | null, error: unknown): Promise<RunInfo> {
  const failure = error instanceof Error ? error.message : String(error);
  const run = created ?? await store.createRun({ targets: plan.targetTexts, ports: plan.ports, options: plan.profile ? { profile: plan.profile } : {} });
  return store.finishRun(run.id, false, { failure });
}
