// `pkiscope diff`: what changed between two stored runs. `pairRuns` picks the runs (by default the
// last two complete runs of the same profile, or of the same targets without one), `readRunDiff`
// reads what they need from the store, and `diffRuns` is the comparison itself, pure. Renewals are
// counted as the history metrics count them (src/maturity/history.ts), so diff and maturity agree.
import { profileRecordOf } from "../model/profile.js";
import { UsageError } from "../errors.js";
import { historyRunFrom, renewals } from "../maturity/history.js";
import type {
  Changes, DiffCa, DiffCertificate, DiffEndpoint, DiffExpiredInService, DiffFinding, DiffMaturityChange, DiffRun, RunDiff, SeenSpan,
} from "../model/diff.js";
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import { type CertificateRecord, type Finding, type RunInfo, SEVERITIES } from "../model/types.js";
import type { HistoryRun, RunContents, Store } from "../store/store.js";

/** The profile a run was scanned with, null without one. */
export function profileOf(run: RunInfo): string | null {
  return profileRecordOf(run.options)?.name ?? null;
}

/** Runs of one series: the same profile, or (neither having one) the same targets. */
export function sameSeries(a: RunInfo, b: RunInfo): boolean {
  const profile = profileOf(a);
  if (profile !== null || profileOf(b) !== null) return profile === profileOf(b);
  const targets = (r: RunInfo) => [...new Set(r.targets)].sort().join("\n");
  return targets(a) === targets(b);
}

/**
 * The two runs to compare. `runs` in the store's order (oldest first). Without `to`, the latest
 * complete run (of `from`'s series when `from` is given); without `from`, the complete run of
 * `to`'s series just before it.
 */
export function pairRuns(runs: readonly RunInfo[], chosen: { from?: RunInfo; to?: RunInfo }): { from: RunInfo; to: RunInfo } {
  const index = (run: RunInfo) => runs.findIndex((r) => r.id === run.id);
  const { from: given } = chosen;
  const to = chosen.to ?? runs.findLast((r) => r.complete && (!given || (sameSeries(given, r) && index(r) > index(given))));
  if (!to) throw new UsageError(given ? `no complete run of the same ${seriesName(given)} after run ${given.id}: give --to` : "no complete run in the store to compare");
  const from = given ?? runs.slice(0, index(to)).findLast((r) => r.complete && sameSeries(to, r));
  if (!from) throw new UsageError(`no complete run of the same ${seriesName(to)} before run ${to.id}: give --from`);
  if (from.id === to.id) throw new UsageError(`--from and --to are the same run ${to.id}`);
  if (index(from) > index(to)) throw new UsageError(`run ${from.id} (--from) started after run ${to.id} (--to)`);
  return { from, to };
}

function seriesName(run: RunInfo): string {
  const profile = profileOf(run);
  return profile === null ? `targets (${run.targets.join(",")})` : `profile "${profile}"`;
}

/** What `diffRuns` compares: both runs as stored, the history of `to`, and first/last sightings. */
export interface RunDiffInput {
  from: RunContents;
  to: RunContents;
  /** Complete runs of `to`'s endpoints before it, oldest first (RunHistory.earlier). */
  earlier: readonly HistoryRun[];
  certificateSpans: ReadonlyMap<string, SeenSpan>;
  endpointSpans: ReadonlyMap<string, SeenSpan>;
}

export async function readRunDiff(store: Store, from: RunInfo, to: RunInfo): Promise<RunDiff> {
  const [fromRun, toRun, history] = [await store.loadRun(from.id), await store.loadRun(to.id), await store.runHistory(to.id)];
  const ids = (pick: (r: RunContents) => string[]) => [...new Set([...pick(fromRun), ...pick(toRun)])];
  return diffRuns({
    from: fromRun,
    to: toRun,
    earlier: history.earlier,
    certificateSpans: await store.seenSpans("certificate", ids((r) => r.certificates.map((c) => c.sha256))),
    endpointSpans: await store.seenSpans("endpoint", ids((r) => r.endpoints.map((e) => e.id))),
  });
}

interface InUse {
  sha256: string;
  record: CertificateRecord | null;
  endpoints: string[];
}

export function diffRuns(input: RunDiffInput): RunDiff {
  const { from, to } = input;
  const span = (spans: ReadonlyMap<string, SeenSpan>, id: string): SeenSpan => spans.get(id) ?? { firstSeen: null, lastSeen: null };
  const certificate = (c: InUse): DiffCertificate => ({
    sha256: c.sha256, subject: c.record?.subject ?? null, issuer: c.record?.issuer ?? null, notAfter: c.record?.notAfter ?? null,
    endpoints: c.endpoints, ...span(input.certificateSpans, c.sha256),
  });
  const before = inUse(from);
  const after = inUse(to);
  const endEntities = (m: Map<string, InUse>) => new Map([...m].filter(([, c]) => c.record?.isCA !== true));
  const certificates = changes(endEntities(before), endEntities(after), certificate, (c) => `${c.subject ?? ""}\n${c.sha256}`);
  const cas = changes(casOf(before, input.certificateSpans), casOf(after, input.certificateSpans), (ca) => ca, (ca) => `${ca.subject}\n${ca.spkiSha256}`);
  const endpoint = (e: { id: string; leaf: string }): DiffEndpoint => ({ ...e, ...span(input.endpointSpans, e.id) });
  const endpoints = changes(servedLeaves(from), servedLeaves(to), endpoint, (e) => e.id);

  const historyOf = (run: RunContents): HistoryRun => {
    const records = new Map(run.certificates.map((c) => [c.sha256, c.record]));
    return historyRunFrom(run.run, run.endpoints, (sha256) => records.get(sha256), run.findings);
  };
  const fromHistory = historyOf(from);
  const toHistory = historyOf(to);
  const earlier = input.earlier.filter((r) => r.startedAt < from.run.startedAt && r.id !== from.run.id);
  const record = (sha256: string) => after.get(sha256)?.record ?? before.get(sha256)?.record ?? null;
  const renewed = renewals([...earlier, fromHistory, toHistory]).filter((r) => r.run === to.run.id).map((r) => ({
    endpoint: r.endpoint, previous: r.previous, current: r.current, subject: record(r.current)?.subject ?? null,
    previousNotAfter: r.previousNotAfter, observedAt: r.observedAt, leadDays: Math.round(r.leadDays * 10) / 10,
  })).sort((a, b) => compare(a.endpoint, b.endpoint));

  return {
    from: diffRun(from.run),
    to: diffRun(to.run),
    certificates,
    cas,
    endpoints,
    renewals: renewed,
    expiredInService: expiredInService(fromHistory, toHistory, from.run, record),
    findings: findingChanges(from.findings, to.findings),
    maturity: maturityChanges(from, to),
  };
}

function diffRun(run: RunInfo): DiffRun {
  return { id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt, complete: run.complete, targets: run.targets, profile: profileOf(run) };
}

/** The run's certificates but the trust-store roots its paths ended at, with the endpoints that served each. */
function inUse(run: RunContents): Map<string, InUse> {
  const records = new Map(run.certificates.map((c) => [c.sha256, c.record]));
  const used = new Map<string, InUse>();
  for (const s of run.sightings) {
    if (s.source === "anchor" || used.has(s.sha256)) continue;
    used.set(s.sha256, { sha256: s.sha256, record: records.get(s.sha256) ?? null, endpoints: [] });
  }
  for (const e of run.endpoints) {
    for (const sha256 of new Set(e.chain)) used.get(sha256)?.endpoints.push(e.id);
  }
  for (const c of used.values()) c.endpoints.sort(compare);
  return used;
}

function casOf(certificates: ReadonlyMap<string, InUse>, spans: ReadonlyMap<string, SeenSpan>): Map<string, DiffCa> {
  const cas = new Map<string, DiffCa>();
  for (const { sha256, record } of certificates.values()) {
    if (!record?.isCA) continue;
    const key = `${record.subject}\n${record.spkiSha256}`;
    const ca = cas.get(key) ?? { subject: record.subject, spkiSha256: record.spkiSha256, certificates: [], firstSeen: null, lastSeen: null };
    ca.certificates.push(sha256);
    const seen = spans.get(sha256);
    if (seen?.firstSeen && (ca.firstSeen === null || seen.firstSeen < ca.firstSeen)) ca.firstSeen = seen.firstSeen;
    if (seen?.lastSeen && (ca.lastSeen === null || seen.lastSeen > ca.lastSeen)) ca.lastSeen = seen.lastSeen;
    cas.set(key, ca);
  }
  for (const ca of cas.values()) ca.certificates.sort(compare);
  return cas;
}

function servedLeaves(run: RunContents): Map<string, { id: string; leaf: string }> {
  return new Map(run.endpoints.filter((e) => e.chain.length > 0).map((e) => [e.id, { id: e.id, leaf: e.chain[0]! }]));
}

/** A stored run as its history sees it (as Store.runHistory reads it), so renewals are found the same way. */
/**
 * Leaves served expired in `to` that had not expired yet when `from` saw the endpoint (or, for an
 * endpoint `from` did not see, when `from` finished).
 */
function expiredInService(
  from: HistoryRun, to: HistoryRun, fromRun: RunInfo, record: (sha256: string) => CertificateRecord | null,
): DiffExpiredInService[] {
  const earlier = new Map(from.endpoints.map((e) => [e.id, e.observedAt]));
  return to.endpoints.flatMap((e) => {
    if (e.notAfter === null || Date.parse(e.notAfter) >= Date.parse(e.observedAt)) return [];
    const since = earlier.get(e.id) ?? fromRun.finishedAt ?? fromRun.startedAt;
    if (Date.parse(e.notAfter) < Date.parse(since)) return [];
    return [{ endpoint: e.id, certificate: e.leaf, subject: record(e.leaf)?.subject ?? null, notAfter: e.notAfter, observedAt: e.observedAt }];
  });
}

function findingChanges(from: readonly Finding[], to: readonly Finding[]): RunDiff["findings"] {
  const entry = (f: Finding): DiffFinding => ({
    id: f.id, ruleId: f.ruleId, severity: f.severity, message: f.message, certificate: f.certificate, endpoints: f.endpoints,
  });
  const { appeared, vanished } = changes(new Map(from.map((f) => [f.id, f])), new Map(to.map((f) => [f.id, f])), entry,
    (f) => `${SEVERITIES.indexOf(f.severity)}\n${f.ruleId}\n${f.id}`);
  return { opened: appeared, resolved: vanished };
}

function maturityChanges(from: RunContents, to: RunContents): DiffMaturityChange[] {
  const categories = MATURITY_CATEGORIES.map((category) => ({
    category, from: from.maturity?.categories[category].level ?? null, to: to.maturity?.categories[category].level ?? null,
  }));
  return [...categories, { category: "overall", from: from.maturity?.overall.level ?? null, to: to.maturity?.overall.level ?? null }];
}

/** What is in `after` and not `before` (appeared) and the reverse (vanished), each sorted by `key`. */
function changes<K, V, T>(before: ReadonlyMap<K, V>, after: ReadonlyMap<K, V>, entry: (v: V) => T, key: (t: T) => string): Changes<T> {
  const only = (a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>) =>
    [...a].filter(([k]) => !b.has(k)).map(([, v]) => entry(v)).sort((x, y) => compare(key(x), key(y)));
  return { appeared: only(after, before), vanished: only(before, after) };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
