// The alerts of one run of a profile: its events against the previous complete run of the same
// profile (the first run of a profile against nothing, so what is open then alerts once), or, for
// a run that did not complete, that it failed (once for a run of failures with the same error);
// routed to each sink and delivered; a failing sink is logged and the others still get theirs.
import { diffRuns, readRunDiff } from "../engine/diff.js";
import { UsageError } from "../errors.js";
import { storedRunView } from "../inventory/inventory.js";
import type { Logger } from "../log.js";
import type { SinkConfig } from "../config/schema.js";
import type { AlertEvent, DeliveryResult } from "../model/alerts.js";
import type { RunDiff } from "../model/diff.js";
import { type Ownership, profileRecordOf } from "../model/profile.js";
import { type RunInfo, runFailure } from "../model/types.js";
import type { RunContents, Store } from "../store/store.js";
import { type AlertContext, alertEvents, failedRunEvent, routes } from "./events.js";
import { deliver } from "./sinks.js";

export interface AlertProfile {
  name: string;
  sinks: readonly SinkConfig[];
  /** Environment variables holding the profile's secrets, withheld from command sinks. */
  secretEnv: readonly string[];
}

export interface RunAlerts {
  run: string;
  previousRun: string | null;
  events: AlertEvent[];
  deliveries: DeliveryResult[];
}

const ofProfile = (run: RunInfo, name: string): boolean => profileRecordOf(run.options)?.name === name;

/** The latest run of the profile, complete or not (a failed run alerts too). */
export async function latestProfileRun(store: Store, profile: string): Promise<RunInfo> {
  const run = (await store.listRuns()).findLast((r) => ofProfile(r, profile));
  if (!run) throw new UsageError(`no run of profile "${profile}" in the store`);
  return run;
}

/** The events of a run of the profile, and the run they were compared with. */
export async function runAlertEvents(store: Store, profile: string, runId: string): Promise<Omit<RunAlerts, "deliveries">> {
  const runs = await store.listRuns();
  const index = runs.findIndex((r) => r.id === runId);
  const run = runs[index];
  if (!run) throw new UsageError(`no run "${runId}" in the store`);
  if (!ofProfile(run, profile)) throw new UsageError(`run ${run.id} was not scanned with profile "${profile}"`);
  if (!run.complete) {
    // A profile that keeps failing with the same error alerts once, at the first of those failures.
    const before = runs.slice(0, index).findLast((r) => ofProfile(r, profile));
    const repeated = before !== undefined && runFailure(run) !== null && runFailure(before) === runFailure(run);
    return { run: run.id, previousRun: null, events: repeated ? [] : [failedRunEvent(run, profile)] };
  }
  const previous = runs.slice(0, index).findLast((r) => r.complete && ofProfile(r, profile));
  const to = await store.loadRun(run.id);
  const from = previous ? await store.loadRun(previous.id) : null;
  const diff = previous ? await readRunDiff(store, previous, run) : firstRunDiff(to);
  return { run: run.id, previousRun: previous?.id ?? null, events: alertEvents(diff, ownershipOf([from, to])) };
}

/** A profile's first run compared with an empty run: everything in it opened or appeared, nothing vanished. */
function firstRunDiff(to: RunContents): RunDiff {
  const empty: RunContents = { ...to, certificates: [], sightings: [], endpoints: [], findings: [], maturity: null };
  return diffRuns({ from: empty, to, earlier: [], certificateSpans: new Map(), endpointSpans: new Map() });
}

/** Owners of both runs' objects, the later run's word standing where both say. */
function ownershipOf(runs: readonly (RunContents | null)[]): AlertContext {
  const endpoints = new Map<string, Ownership>();
  const certificates = new Map<string, Ownership>();
  for (const contents of runs) {
    if (!contents) continue;
    const { ownership } = storedRunView(contents);
    for (const [id, o] of ownership.endpoints) endpoints.set(id, o);
    for (const [id, o] of ownership.certificates) certificates.set(id, o);
  }
  return { endpoints, certificates };
}

/** Computes the run's events and delivers them to every sink of the profile that routes them. */
export async function deliverRunAlerts(store: Store, profile: AlertProfile, runId: string, env: NodeJS.ProcessEnv, log: Logger): Promise<RunAlerts> {
  const found = await runAlertEvents(store, profile.name, runId);
  const deliveries: DeliveryResult[] = [];
  for (const sink of profile.sinks) {
    const events = found.events.filter((e) => routes(sink, e));
    if (events.length === 0) continue;
    // A command sink is a program of the user's, but it has no need of the profile's secrets.
    const sinkEnv = sink.type === "command" ? withoutVariables(env, profile.secretEnv) : env;
    const result = await deliver(sink, { profile: profile.name, run: found.run, previousRun: found.previousRun, events }, sinkEnv);
    deliveries.push(result);
    const fields = { sink: result.sink, target: result.target, events: result.events, attempts: result.attempts };
    if (result.delivered) log.info(`alerts delivered to ${result.sink} ${result.target}`, fields);
    else log.error(`alerts not delivered to ${result.sink} ${result.target}: ${result.error}`, fields);
  }
  return { ...found, deliveries };
}

function withoutVariables(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const name of names) delete kept[name];
  return kept;
}
