// Prometheus metrics of the store's latest runs, for monitoring stacks: a reader of the store,
// like a report. Every call builds a fresh registry from what the store holds now, so a scrape
// sees the runs finished since the last one.
//
// Runs are grouped by the profile they record (its name); runs without one form the
// group "default". A group's certificates, findings and maturity come from its latest complete
// run; its last-run series from its latest finished run, complete or not.
import { Counter, Gauge, Registry } from "prom-client";
import { buildOwnership } from "../inventory/ownership.js";
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import { profileRecordOf } from "../model/profile.js";
import { printable } from "../printable.js";
import { type RunInfo, type Severity, runState } from "../model/types.js";
import type { RunContents, Store } from "../store/store.js";
import { DEFAULT_METRICS_OPTIONS, type MetricsOptions } from "./options.js";

/** The group of runs that records no profile. */
export const DEFAULT_PROFILE = "default";

interface CertificateSeries {
  labels: { profile: string; endpoint: string; subject: string; issuer: string; owner: string };
  notAfterSeconds: number;
}

export function profileOf(run: RunInfo): string {
  return profileRecordOf(run.options)?.name || DEFAULT_PROFILE;
}

/**
 * A label value that stays one short, printable line: prom-client escapes backslashes, quotes and
 * newlines, and this replaces every control character (`printable`) and cuts the value to `max` characters
 * (code points, so a surrogate pair is never split).
 */
export function labelValue(text: string, max: number): string {
  const shown = printable(text);
  const chars = [...shown];
  return chars.length <= max ? shown : `${chars.slice(0, max - 1).join("")}…`;
}

export async function collectRegistry(store: Store, options: MetricsOptions = DEFAULT_METRICS_OPTIONS): Promise<Registry> {
  const label = (text: string): string => labelValue(text, options.maxLabelLength);
  const registry = new Registry();
  const registers = [registry];
  const runsTotal = new Counter({ name: "pkiscope_runs_total", help: "Runs in the store, by profile and state (complete, failed, interrupted, incomplete: unfinished or still running).", labelNames: ["profile", "state"], registers });
  const lastRunTimestamp = new Gauge({ name: "pkiscope_last_run_timestamp_seconds", help: "When the profile's latest finished run ended (Unix seconds).", labelNames: ["profile"], registers });
  const lastRunDuration = new Gauge({ name: "pkiscope_last_run_duration_seconds", help: "Wall time of the profile's latest finished run.", labelNames: ["profile"], registers });
  const lastRunSuccess = new Gauge({ name: "pkiscope_last_run_success", help: "1 when the profile's latest finished run completed, 0 when it failed or was interrupted.", labelNames: ["profile"], registers });
  const notAfter = new Gauge({ name: "pkiscope_certificate_not_after_seconds", help: "notAfter of the leaf certificate each endpoint served in the profile's latest complete run (Unix seconds); the soonest-expiring first, up to the series cap.", labelNames: ["profile", "endpoint", "subject", "issuer", "owner"], registers });
  const dropped = new Gauge({ name: "pkiscope_certificate_series_dropped", help: "Served certificates left out of pkiscope_certificate_not_after_seconds by the series cap (--max-certificate-series).", registers });
  const findings = new Gauge({ name: "pkiscope_findings", help: "Findings of the profile's latest complete run by rule and severity (0 for rules evaluated without a finding).", labelNames: ["profile", "rule", "severity"], registers });
  const maturity = new Gauge({ name: "pkiscope_maturity_level", help: "Maturity level (0 Ad Hoc to 4 Resilient) per category of the profile's latest complete run; absent for a category the run could not assess.", labelNames: ["profile", "category"], registers });

  const groups = new Map<string, RunInfo[]>();
  for (const run of await store.listRuns()) {
    const profile = label(profileOf(run));
    groups.set(profile, [...(groups.get(profile) ?? []), run]);
  }

  const certificates: CertificateSeries[] = [];
  for (const [profile, runs] of groups) {
    // listRuns is oldest first.
    for (const run of runs) runsTotal.inc({ profile, state: runState(run) });
    const finished = runs.filter((r) => r.finishedAt !== null).at(-1);
    if (finished) {
      const end = Date.parse(finished.finishedAt!);
      lastRunTimestamp.set({ profile }, end / 1000);
      lastRunDuration.set({ profile }, (end - Date.parse(finished.startedAt)) / 1000);
      lastRunSuccess.set({ profile }, finished.complete ? 1 : 0);
    }
    const complete = runs.filter((r) => r.complete).at(-1);
    if (!complete) continue;
    const contents = await store.loadRun(complete.id);
    certificates.push(...servedCertificates(contents, profile, label));
    for (const { rule, severity, count } of findingCounts(contents)) findings.set({ profile, rule: label(rule), severity }, count);
    for (const category of MATURITY_CATEGORIES) {
      const level = contents.maturity?.categories[category].level;
      if (level !== null && level !== undefined) maturity.set({ profile, category }, level);
    }
  }

  // The soonest expiries are what monitoring is for: they are kept when the cap bites.
  certificates.sort((a, b) => a.notAfterSeconds - b.notAfterSeconds || a.labels.endpoint.localeCompare(b.labels.endpoint));
  for (const c of certificates.slice(0, options.maxCertificateSeries)) notAfter.set(c.labels, c.notAfterSeconds);
  dropped.set(Math.max(0, certificates.length - options.maxCertificateSeries));
  return registry;
}

/** One series per endpoint that served a parsable leaf, with the owner of the profile network it is in ("" for none). */
function servedCertificates(contents: RunContents, profile: string, label: (text: string) => string): CertificateSeries[] {
  const records = new Map(contents.certificates.map((c) => [c.sha256, c.record]));
  const owners = buildOwnership(profileRecordOf(contents.run.options), contents.endpoints, []).endpoints;
  return contents.endpoints.flatMap((endpoint) => {
    const leaf = endpoint.chain[0];
    const record = leaf === undefined ? null : records.get(leaf);
    if (!record) return [];
    return [{
      labels: { profile, endpoint: label(endpoint.id), subject: label(record.subject), issuer: label(record.issuer), owner: label(owners.get(endpoint.id)?.owner ?? "") },
      notAfterSeconds: Date.parse(record.notAfter) / 1000,
    }];
  });
}

/** Findings per rule and severity, with 0 for rules that looked and found nothing. */
function findingCounts(contents: RunContents): { rule: string; severity: Severity; count: number }[] {
  const counts = new Map<string, { rule: string; severity: Severity; count: number }>();
  const add = (rule: string, severity: Severity, count: number): void => {
    const key = `${rule} ${severity}`;
    const entry = counts.get(key) ?? { rule, severity, count: 0 };
    entry.count += count;
    counts.set(key, entry);
  };
  for (const f of contents.findings) add(f.ruleId, f.severity, 1);
  const severityOf = new Map(contents.rules.map((r) => [r.id, r.severity]));
  for (const outcome of contents.ruleOutcomes) {
    const severity = severityOf.get(outcome.ruleId);
    if (outcome.status === "evaluated" && outcome.findings === 0 && severity) add(outcome.ruleId, severity, 0);
  }
  return [...counts.values()];
}
