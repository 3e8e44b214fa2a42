// The alert events of a run, pure: from the diff against the previous complete run of its profile
// (findings opened, not findings open, so an open finding alerts once), or from the record of a run
// that did not complete. Routing a batch of events to a sink by owner or tag is here too.
import type { AlertEvent } from "../model/alerts.js";
import type { DiffFinding, RunDiff } from "../model/diff.js";
import type { Ownership } from "../model/profile.js";
import { type RunInfo, runFailure, runState } from "../model/types.js";

/** Who owns what, in both runs of the diff (vanished objects are owned as the earlier run said). */
export interface AlertContext {
  endpoints: ReadonlyMap<string, Ownership>;
  certificates: ReadonlyMap<string, Ownership>;
}

/** Rules whose opened findings alert whatever their severity: expiring-soon opening is the crossing of the expiry threshold. */
const EXPIRY_RULE = "expiring-soon";
const ALERTING_SEVERITIES = new Set(["critical", "high"]);

export function alertEvents(diff: RunDiff, context: AlertContext): AlertEvent[] {
  const runs = { run: diff.to.id, previousRun: diff.from.id === diff.to.id ? null : diff.from.id };
  const owned = (certificates: readonly string[], endpoints: readonly string[]): Pick<AlertEvent, "owner" | "tags"> => {
    const holders = [...certificates.map((id) => context.certificates.get(id)), ...endpoints.map((id) => context.endpoints.get(id))]
      .filter((o): o is Ownership => o !== undefined);
    return { owner: holders.find((o) => o.owner !== null)?.owner ?? null, tags: [...new Set(holders.flatMap((o) => o.tags))].sort() };
  };
  const finding = (f: DiffFinding): AlertEvent[] => {
    const expiry = f.ruleId === EXPIRY_RULE;
    if (!expiry && !ALERTING_SEVERITIES.has(f.severity)) return [];
    const certificates = f.certificate === null ? [] : [f.certificate];
    return [{
      kind: expiry ? "expiry-threshold" : "finding-opened", severity: f.severity, summary: `${f.ruleId}: ${f.message}`,
      ...owned(certificates, f.endpoints), finding: f.id, ruleId: f.ruleId, certificates, endpoints: f.endpoints, ...runs,
    }];
  };

  const vanishedEndpoints = new Set(diff.endpoints.vanished.map((e) => e.id));
  const renewed = new Set(diff.renewals.map((r) => r.previous));
  // A renewed leaf is replaced, not lost; a leaf whose every endpoint vanished is told by the endpoint's event.
  const lostCertificates = diff.certificates.vanished.filter((c) =>
    !renewed.has(c.sha256) && !(c.endpoints.length > 0 && c.endpoints.every((id) => vanishedEndpoints.has(id))));

  return [
    ...diff.findings.opened.flatMap(finding),
    ...lostCertificates.map((c): AlertEvent => ({
      kind: "certificate-vanished", severity: "medium", summary: `certificate ${c.subject ?? c.sha256} is no longer seen`,
      ...owned([c.sha256], c.endpoints), finding: null, ruleId: null, certificates: [c.sha256], endpoints: c.endpoints, ...runs,
    })),
    ...diff.endpoints.vanished.map((e): AlertEvent => ({
      kind: "endpoint-vanished", severity: "medium", summary: `endpoint ${e.id} no longer serves a certificate`,
      ...owned([], [e.id]), finding: null, ruleId: null, certificates: [e.leaf], endpoints: [e.id], ...runs,
    })),
    ...diff.maturity.filter((m) => m.from !== null && m.to !== null && m.to < m.from).map((m): AlertEvent => ({
      kind: "maturity-regression", severity: "high", summary: `maturity ${m.category} fell from level ${m.from} to ${m.to}`,
      owner: null, tags: [], finding: null, ruleId: null, certificates: [], endpoints: [], ...runs,
    })),
  ];
}

/** A run that did not complete (failed, interrupted, or never finished) as an event of its own. */
export function failedRunEvent(run: RunInfo, profile: string): AlertEvent {
  const state = runState(run) === "failed" ? `failed: ${runFailure(run)}` : run.finishedAt === null ? "did not finish" : "finished incomplete";
  return {
    kind: "run-failed", severity: "high", summary: `run ${run.id} of profile ${profile} started ${run.startedAt} and ${state}`,
    owner: null, tags: [], finding: null, ruleId: null, certificates: [], endpoints: [], run: run.id, previousRun: null,
  };
}

/** Which sinks an event reaches: every sink without owners or tags; a routed sink only its owners' or tags' events. */
export function routes(sink: { owners?: readonly string[] | undefined; tags?: readonly string[] | undefined }, event: AlertEvent): boolean {
  if (sink.owners === undefined && sink.tags === undefined) return true;
  return (event.owner !== null && (sink.owners ?? []).includes(event.owner)) || event.tags.some((t) => (sink.tags ?? []).includes(t));
}
