// One scan, start to end: targets → collectors (first pass: the scan's own targets; then AIA
// issuers, CRLs and OCSP responders those named) → observations (store) → one read of the run →
// analysis (paths, revocation judgements) → inventory view → rules → findings and outcomes
// (store), all judged at one validation time (now, or --at; see judge.ts). The caller renders
// reports from the returned view, the same one the rules read. An interrupt stops new work,
// analyses what was collected and marks the run incomplete.
//
// A run is collected in shards (shards.ts), in three steps anyone holding the store can take:
// openRun stores the plan and its shards; collectShard collects one (again, after a scanner
// died: the store discards the first try); concludeRun follows up and analyses, once the
// shards are done. runScan takes them in turn, resumeScan finishes a run a kill interrupted,
// and distributed workers share them out.
import { setMaxListeners } from "node:events";
import { type CollectorContext, type CollectorTally, DEFAULT_PER_HOST, type ProbeTimeouts } from "../../collectors/collector.js";
import { SOURCE_COLLECTORS, type AdcsCollectorOptions, type ScanSources, describeLdapSource } from "../../collectors/index.js";
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
import { FOLLOW_UP_SHARD, type RunConclusions, type ShardRecord, type ShardState, type Store } from "../store/store.js";
import { ExclusionList, type TargetSpec, countProbes } from "../targets/targets.js";
import { UsageError } from "../errors.js";
import type { RevocationPlan } from "./defaults.js";
import { collectIssuers, collectRevocation } from "./follow-up.js";
import { type AnalysedRun, type AnalysisInputs, analyseObservations, concludeAnalysis } from "./judge.js";
import { clampConcurrency, openFileLimit } from "./open-files.js";
import { DEFAULT_SHARD_PROBES, type PlannedShard, type ShardSpec, type StoredTargetSpec, loadSpec, planShards, shardTargets, storeSpec } from "./shards.js";

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
  /** New connections per second across the scan (--rate); unset: no bound. */
  rate?: number;
  /** Connections in flight to one target at once (--per-host); default DEFAULT_PER_HOST. */
  perHost?: number;
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
  /** Probes per shard (--shard-size): the unit a run is resumed by and workers share out; default DEFAULT_SHARD_PROBES. */
  shardProbes?: number;
  /** The environment variables the secrets came from, stored with the run (the values never are) so a resume or a worker reads them again. */
  secretsFrom?: { ldapPasswordEnv?: string; keystorePasswordEnv?: string };
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

export async function runScan(store: Store, asked: ScanPlan, hooks: ScanHooks): Promise<ScanOutcome> {
  const plan = withinOpenFileLimit(asked, hooks.log);
  const { run, shards } = await openRun(store, plan, hooks);
  return collectAndConclude(store, run, plan, shards, hooks);
}

/**
 * Finishes a run that was interrupted or killed: collects the shards it had not finished (the
 * finished ones are not probed again), then follows up and analyses the whole run. Secrets
 * come from `env`, by the names the run stored.
 */
export async function resumeScan(store: Store, runRef: string, env: NodeJS.ProcessEnv, hooks: ScanHooks): Promise<ScanOutcome> {
  const { run, plan: stored, shards } = await loadRunPlan(store, runRef, env);
  // This process's open-files limit, which may not be the one the run started under.
  const plan = withinOpenFileLimit(stored, hooks.log);
  refuseComplete(run);
  const pending = shards.filter((s) => !s.done);
  hooks.log.info(`run ${run.id} resumed: ${pending.length} of ${shards.length} shards to collect`);
  return collectAndConclude(store, run, plan, pending, hooks);
}

/**
 * The stored run `runRef` names, to be finished by whoever resumes it (`scan --resume`, or
 * `coordinator --resume`, which needs only its shards): refused when it is complete or was
 * stored without its plan.
 */
export async function resumableRun(store: Store, runRef: string): Promise<{ run: RunInfo; shards: ShardState[] }> {
  const { run, stored } = await findStoredRun(store, runRef);
  refuseComplete(run);
  return { run, shards: stored.shards };
}

function refuseComplete(run: RunInfo): void {
  if (run.complete) throw new UsageError(`run ${run.id} is complete: nothing to resume`);
}

/** The plan with its concurrency clamped to what this process's open-files limit leaves room for, warning once when it is. */
export function withinOpenFileLimit(plan: ScanPlan, log: Logger): ScanPlan {
  const { concurrency, warning } = clampConcurrency(plan.concurrency, openFileLimit());
  if (!warning) return plan;
  log.warn(warning);
  return { ...plan, concurrency };
}

/** A shard as the store or the planner hands it over: its spec is the planner's ShardSpec. */
export type ShardToCollect = Pick<ShardRecord, "id" | "spec">;

async function collectAndConclude(store: Store, run: RunInfo, plan: ScanPlan, shards: readonly ShardToCollect[], hooks: ScanHooks): Promise<ScanOutcome> {
  hooks.onStart?.(shards.reduce((n, s) => n + shardUnits(plan, s.spec as ShardSpec), 0n));
  for (const shard of shards) {
    if (hooks.signal.aborted) break;
    await collectShard(store, run, plan, shard, hooks);
  }
  hooks.onCollected?.();
  return concludeRun(store, run, plan, hooks);
}

/**
 * Opens a run of the plan: checks what would fail it later (trust anchors, rubric, mapping:
 * usage errors before any packet is sent), then stores the run, its plan and its shards, and
 * returns the run and those shards.
 */
export async function openRun(store: Store, plan: ScanPlan, hooks: Pick<ScanHooks, "log" | "onRunCreated">): Promise<{ run: RunInfo; shards: PlannedShard[] }> {
  const trust = await loadTrustAnchors(plan.trustAnchors);
  loadRubric(plan.rubric ?? defaultRubricPath());
  loadPkicMapping(plan.pkicMapping);
  new ExclusionList(plan.exclude);
  const run = await store.createRun({
    targets: plan.targetTexts,
    ports: plan.ports,
    options: {
      exclude: plan.exclude, files: plan.files, trustAnchors: trust.source, concurrency: plan.concurrency,
      rate: plan.rate ?? null, perHost: plan.perHost ?? DEFAULT_PER_HOST,
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
  hooks.log.info(`run ${run.id} started`);
  hooks.onRunCreated?.(run);
  const shards = plannedShards(plan);
  await store.saveRunPlan(run.id, storePlan(plan), shards);
  return { run, shards };
}

/** What one shard's collection recorded, kept with the shard. */
interface ShardTally {
  collectors: Record<string, CollectorTally>;
  /** Certificates parsed (new to the store). */
  parsed: number;
  durationMs: number;
}

/**
 * Collects one shard of the run into the store, under a fresh claim (what an earlier claim wrote
 * is discarded), and marks it done unless interrupted. Returns how many shards are still not
 * done, or null when interrupted.
 */
export async function collectShard(
  store: Store, run: RunInfo, plan: ScanPlan, shard: ShardToCollect, hooks: ScanHooks,
): Promise<number | null> {
  const { log, signal } = hooks;
  // Every probe in flight listens for the interrupt; that is by design, not a leak.
  setMaxListeners(plan.concurrency * 2 + 16, signal);
  const started = performance.now();
  const attempt = await store.claimShard(run.id, shard.id);
  const recorder = new ObservationRecorder(store, run.id, { shard: attempt });
  const tally: ShardTally = { collectors: {}, parsed: 0, durationMs: 0 };
  try {
    const sources = shardSources(plan, shard.spec as ShardSpec);
    const ctx: CollectorContext = {
      recorder, log, signal, exclusions: new ExclusionList(plan.exclude), timeouts: plan.timeouts, concurrency: plan.concurrency,
      politeness: { ratePerSecond: plan.rate ?? null, perHost: plan.perHost ?? DEFAULT_PER_HOST },
      onProgress: (outcome) => hooks.onProgress?.(outcome),
    };
    for (const collector of SOURCE_COLLECTORS) {
      if (signal.aborted) break;
      if (collector.units(sources) > 0n) tally.collectors[collector.meta.name] = await collector.collect(sources, ctx);
    }
  } finally {
    await recorder.close();
  }
  if (signal.aborted) return null;
  tally.parsed = recorder.parsedCount;
  tally.durationMs = Math.round(performance.now() - started);
  return store.finishShard(run.id, attempt, { ...tally });
}

/**
 * Follows up what the shards collected (AIA issuers, CRLs, OCSP), analyses the run, saves the
 * findings and finishes the run: complete when every shard is done and nothing interrupted.
 * Concluding again (a retry) replaces the earlier follow-up and analysis.
 */
export async function concludeRun(store: Store, run: RunInfo, plan: ScanPlan, hooks: ScanHooks): Promise<ScanOutcome> {
  const { log, signal } = hooks;
  setMaxListeners(plan.concurrency * 2 + 16, signal);
  const trust = await loadTrustAnchors(plan.trustAnchors);
  const rubric = loadRubric(plan.rubric ?? defaultRubricPath());
  // The scan has no answers, but its report names the question that would settle what it could not see.
  const settledBy = questionsSettling(loadQuestionnaire());
  const pkicMapping = loadPkicMapping(plan.pkicMapping);
  const fetcher = plan.fetch.enabled ? new UrlFetcher(new FetchPolicy(plan.fetch)) : null;
  const attempt = await store.claimShard(run.id, FOLLOW_UP_SHARD);
  const recorder = new ObservationRecorder(store, run.id, { shard: attempt });
  // Wall time of each stage, in the run's statistics (benchmarks read them); collection is the shards' sum.
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
    const stored = await store.runPlan(run.id);
    const shards = stored?.shards ?? [];
    const tallies = mergeTallies(shards);
    timingsMs.collection = shards.reduce((ms, s) => ms + ((s.tally as ShardTally | null)?.durationMs ?? 0), 0);
    const ctx: CollectorContext = {
      recorder, log, signal, exclusions: new ExclusionList(plan.exclude), timeouts: plan.timeouts, concurrency: plan.concurrency,
      onProgress: (outcome) => hooks.onProgress?.(outcome),
    };
    const followUp = { ...ctx, recorder, store, runId: run.id, trust };
    if (fetcher && !signal.aborted) tallies.aia = await collectIssuers(fetcher, followUp);
    if (!signal.aborted) Object.assign(tallies, await collectRevocation(plan.revocation, fetcher, followUp));
    await recorder.close();
    lap("followUp");

    // The analysis reads the run once; rules and reports share the view built from it.
    const inputs = { trust, checkStaples: plan.revocation.enabled, thresholds: plan.thresholds, ...(plan.at ? { validationTime: plan.at } : {}) };
    const { analysed, aiaFetches } = await analyseCollected(store, run.id, inputs, lap);
    lap("analysis");
    const { analysis, view, conclusions } = await concludeAnalysis(store, analysed, { rubric, pkicMapping, settledBy, thresholds: plan.thresholds }, lap);
    const { findings } = conclusions;
    for (const f of conclusions.ruleFailures) log.error(`rule ${f.ruleId} failed: ${f.error}`);
    await store.saveAnalysis(run.id, analysis, conclusions);
    lap("save");

    const complete = !signal.aborted && shards.every((s) => s.done);
    const stats = {
      probes: countProbes(plan.specs, plan.ports).toString(),
      collectors: tallies,
      certificatesParsed: recorder.parsedCount + shards.reduce((n, s) => n + ((s.tally as ShardTally | null)?.parsed ?? 0), 0),
      unparsableCertificates: view.unparsable.length,
      aiaFetches,
      interrupted: !complete,
      shards: { planned: shards.length, done: shards.filter((s) => s.done).length },
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
 * Reads the run's observations and analyses them, keeping of them only the AIA fetches (for the
 * run's statistics): they are let go on return, before the rules run.
 */
async function analyseCollected(
  store: Store, runId: string, inputs: AnalysisInputs, lap: (stage: string) => void,
): Promise<{ analysed: AnalysedRun; aiaFetches: { url: string; error: string | null }[] }> {
  const observations = await store.loadObservations(runId);
  lap("load");
  const aiaFetches = observations.fetches.flatMap((f) => (f.kind === "aia" ? [{ url: f.fetch.url, error: f.fetch.error }] : []));
  return { analysed: await analyseObservations(observations, inputs), aiaFetches };
}

/** The plan's shards: its targets in slices, and one for its files and LDAP sources. */
function plannedShards(plan: ScanPlan): PlannedShard[] {
  const sources = plan.files.length + (plan.ldap?.length ?? 0) > 0;
  return planShards({ specs: plan.specs, sources }, plan.ports, plan.shardProbes ?? DEFAULT_SHARD_PROBES);
}

/** What the collectors read for one shard: its targets, or the run's files and LDAP sources. */
function shardSources(plan: ScanPlan, spec: ShardSpec): ScanSources {
  const none = {
    specs: [], ports: plan.ports, files: [], keystorePassword: plan.keystorePassword ?? null, ldap: [],
    protocols: plan.protocols ?? false, starttls: plan.starttls ?? {},
  };
  return spec.kind === "probes" ? { ...none, specs: shardTargets(spec) } : { ...none, files: plan.files, ldap: plan.ldap ?? [] };
}

function shardUnits(plan: ScanPlan, spec: ShardSpec): bigint {
  const sources = shardSources(plan, spec);
  return SOURCE_COLLECTORS.reduce((n, c) => n + c.units(sources), 0n);
}

/** The collectors' tallies of the done shards, summed outcome by outcome. */
function mergeTallies(shards: readonly ShardState[]): Record<string, CollectorTally> {
  const merged: Record<string, CollectorTally> = {};
  for (const shard of shards) {
    for (const [name, tally] of Object.entries((shard.tally as ShardTally | null)?.collectors ?? {})) {
      const into = (merged[name] ??= {});
      for (const [outcome, n] of Object.entries(tally)) into[outcome] = (into[outcome] ?? 0) + n;
    }
  }
  return merged;
}

/** A plan as the store keeps it: JSON, with the secrets left out (secretsFrom names where they come from). */
interface StoredPlan extends Omit<ScanPlan, "specs" | "ldap" | "keystorePassword" | "startedAt" | "at"> {
  specs: StoredTargetSpec[];
  ldap: Omit<AdcsCollectorOptions, "password">[];
  startedAt?: string;
  at?: string;
}

function storePlan({ specs, ldap = [], keystorePassword: _secret, startedAt, at, ...rest }: ScanPlan): StoredPlan {
  return {
    ...rest,
    specs: specs.map(storeSpec),
    ldap: ldap.map(({ password: _password, ...source }) => source),
    ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
    ...(at ? { at: at.toISOString() } : {}),
  };
}

/**
 * A stored run and its plan, rebuilt: the secrets are read again from `env` by the names the
 * run stored, when a shard still to collect needs them (LDAP sources, keystores).
 */
export async function loadRunPlan(store: Store, runRef: string, env: NodeJS.ProcessEnv): Promise<{ run: RunInfo; plan: ScanPlan; shards: ShardState[] }> {
  const { run, stored } = await findStoredRun(store, runRef);
  const { specs, ldap, startedAt, at, ...rest } = stored.plan as StoredPlan;
  const sourcesPending = stored.shards.some((s) => !s.done && (s.spec as ShardSpec).kind === "sources");
  const secret = (name: string | undefined, what: string): string => {
    if (!sourcesPending || name === undefined) return "";
    const value = env[name];
    if (value === undefined) throw new UsageError(`run ${run.id} reads ${what} with the secret in $${name}: set it to go on`);
    return value;
  };
  const ldapPassword = ldap.some((l) => l.auth !== "kerberos") ? secret(rest.secretsFrom?.ldapPasswordEnv, "LDAP") : "";
  const keystorePassword = rest.secretsFrom?.keystorePasswordEnv !== undefined ? secret(rest.secretsFrom.keystorePasswordEnv, "keystores") : undefined;
  const plan: ScanPlan = {
    ...rest,
    specs: specs.map(loadSpec),
    ldap: ldap.map((source) => ({ ...source, password: source.auth === "kerberos" ? "" : ldapPassword })),
    ...(keystorePassword !== undefined ? { keystorePassword } : {}),
    ...(startedAt ? { startedAt: new Date(startedAt) } : {}),
    ...(at ? { at: new Date(at) } : {}),
  };
  return { run, plan, shards: stored.shards };
}

/** The run `runRef` names (id, unique prefix or latest) and its plan and shards as stored. */
async function findStoredRun(store: Store, runRef: string): Promise<{ run: RunInfo; stored: { plan: unknown; shards: ShardState[] } }> {
  const run = await store.findRun(runRef);
  if (!run) throw new UsageError(`no run ${runRef} in the store (pkiscope runs lists them)`);
  const stored = await store.runPlan(run.id);
  if (!stored) throw new UsageError(`run ${run.id} was stored without its plan (by a pkiscope before schema 6): it cannot be resumed`);
  return { run, stored };
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
