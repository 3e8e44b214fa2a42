// Rows as both stores read them (the schema of migrations.ts, the same in SQLite and
// PostgreSQL) and their mapping to the store's types, written once for both.
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import type { MaturityLevels } from "../model/trends.js";
import type { Finding, PathResult, PathValidation, ProtocolSupport, RunInfo } from "../model/types.js";
import type { CertificateLead, EndpointRow, HistoryRun, RunConclusions, ShardState, SightingRow, StoredCertificate } from "./store.js";

export interface RunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
  complete: number;
  targets: string;
  ports: string;
  options: string;
  stats: string;
}

export interface HistoryRunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
}

export interface HistoryEndpointRow {
  id: string;
  observed_at: string;
  leaf: string;
  not_before: string | null;
  not_after: string | null;
}

export interface CertificateRow {
  sha256: string;
  der: Buffer;
  record: string | null;
  parse_error: string | null;
  subject_name_hash: string | null;
  issuer_name_hash: string | null;
  parser_version: number;
}

export interface EndpointDbRow {
  id: string; address: string; port: number; sni: string | null; status: EndpointRow["status"];
  error: string | null; tls_version: string | null; cipher: string | null; chain: string;
  stapled_ocsp: Buffer | null; observed_at: string; duration_ms: number; starttls: string | null; protocols: string | null;
}

export interface SightingDbRow {
  sha256: string; source: SightingRow["source"]; location: string; position: number | null;
  observed_at: string; error: string | null;
}

export interface PathDbRow {
  sha256: string; trusted_path: string | null; partial_path: string; self_signed: number; stop_reason: string | null; validation: string | null;
}

export interface FindingDbRow {
  id: string; rule_id: string; category: Finding["category"]; severity: Finding["severity"]; message: string;
  certificate: string | null; endpoints: string; url: string | null; evidence: string;
}

/** A certificate lead as selected: booleans as 0/1, URL lists as JSON text. */
export interface LeadDbRow {
  sha256: string; subject_name_hash: string; issuer_name_hash: string; self_issued: number; serial: string;
  aia: string; cdp: string; ocsp: string; leaf: number;
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    complete: row.complete === 1,
    targets: JSON.parse(row.targets) as string[],
    ports: JSON.parse(row.ports) as number[],
    options: JSON.parse(row.options) as Record<string, unknown>,
    stats: JSON.parse(row.stats) as Record<string, unknown>,
  };
}

export function toStoredCertificate(row: CertificateRow): StoredCertificate {
  return {
    sha256: row.sha256,
    der: row.der,
    record: row.record ? (JSON.parse(row.record) as StoredCertificate["record"]) : null,
    parseError: row.parse_error,
    subjectNameHash: row.subject_name_hash,
    issuerNameHash: row.issuer_name_hash,
    parserVersion: row.parser_version,
  };
}

export function toEndpointRow(r: EndpointDbRow): EndpointRow {
  return {
    id: r.id, address: r.address, port: r.port, sni: r.sni, status: r.status, error: r.error,
    tlsVersion: r.tls_version, cipher: r.cipher, chain: JSON.parse(r.chain) as string[],
    stapledOcsp: r.stapled_ocsp, observedAt: r.observed_at, durationMs: r.duration_ms,
    starttls: r.starttls, protocols: r.protocols === null ? null : (JSON.parse(r.protocols) as ProtocolSupport),
  };
}

export function toSightingRow(r: SightingDbRow): SightingRow {
  return { sha256: r.sha256, source: r.source, location: r.location, position: r.position, observedAt: r.observed_at, error: r.error };
}

export function toPathResult(r: PathDbRow): PathResult {
  return {
    sha256: r.sha256,
    trustedPath: r.trusted_path ? (JSON.parse(r.trusted_path) as string[]) : null,
    partialPath: JSON.parse(r.partial_path) as string[],
    selfSigned: r.self_signed === 1,
    stopReason: r.stop_reason,
    // Runs analysed before paths were validated have none.
    ...(r.validation ? { validation: JSON.parse(r.validation) as PathValidation } : {}),
  };
}

export function toFinding(r: FindingDbRow): Finding {
  return {
    id: r.id, ruleId: r.rule_id, category: r.category, severity: r.severity, message: r.message,
    certificate: r.certificate, endpoints: JSON.parse(r.endpoints) as string[], url: r.url,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
  };
}

export function toCertificateLead(r: LeadDbRow): CertificateLead {
  return {
    sha256: r.sha256, subjectNameHash: r.subject_name_hash, issuerNameHash: r.issuer_name_hash, selfIssued: r.self_issued === 1,
    serialNumber: r.serial, caIssuersUrls: JSON.parse(r.aia) as string[], crlDistributionPoints: JSON.parse(r.cdp) as string[],
    ocspUrls: JSON.parse(r.ocsp) as string[], servedAsLeaf: r.leaf === 1,
  };
}

/** The maturity levels a conclusions digest reads, in this order, and their place in the saved score. */
export const DIGEST_LEVELS = ["overall", ...MATURITY_CATEGORIES] as const;
export const DIGEST_LEVEL_PATHS: readonly (readonly string[])[] = DIGEST_LEVELS.map((l) =>
  l === "overall" ? ["maturity", "overall", "level"] : ["maturity", "categories", l, "level"],
);

/** The levels read at DIGEST_LEVEL_PATHS (none for runs analysed before conclusions, or maturity, were saved). */
export function toMaturityLevels(values: readonly (number | null)[]): MaturityLevels {
  return Object.fromEntries(DIGEST_LEVELS.map((l, i) => [l, values[i] ?? null])) as MaturityLevels;
}

/** A run's saved conclusions (findings and failures aside) as read back, or those of a run analysed before they were saved. */
export function storedConclusions(saved: string | undefined, run: RunInfo): Omit<RunConclusions, "findings" | "ruleFailures"> {
  const parsed = saved ? (JSON.parse(saved) as Omit<RunConclusions, "findings" | "ruleFailures">) : null;
  // Runs analysed before --at existed were judged when they were analysed.
  return parsed
    ? { ...parsed, validationTime: parsed.validationTime ?? parsed.analysedAt, maturity: parsed.maturity ?? null, pkic: parsed.pkic ?? null }
    : legacyConclusions(run);
}

/** Runs analysed before conclusions were saved (schema 1): their thresholds, no rule texts or outcomes. */
function legacyConclusions(run: RunInfo): Omit<RunConclusions, "findings" | "ruleFailures"> {
  const settings = run.options.settings;
  const thresholds = settings && typeof settings === "object"
    ? Object.fromEntries(Object.entries(settings).filter((e): e is [string, number] => typeof e[1] === "number"))
    : {};
  const analysedAt = run.finishedAt ?? run.startedAt;
  return { ruleOutcomes: [], rules: [], thresholds, pkiscopeVersion: "unknown (analysed before schema 2)", analysedAt, validationTime: analysedAt, maturity: null, pkic: null };
}

/** A run in a history: its served endpoints, and its findings cut down to those endpoints (findings on none left out). */
export function toHistoryRun(run: HistoryRunRow, endpoints: readonly HistoryEndpointRow[], findings: readonly { id: string; rule_id: string; endpoints: string }[]): HistoryRun {
  const seen = new Set(endpoints.map((e) => e.id));
  const onEndpoints = findings.flatMap((f) => {
    const on = (JSON.parse(f.endpoints) as string[]).filter((id) => seen.has(id));
    return on.length > 0 ? [{ id: f.id, ruleId: f.rule_id, endpoints: on }] : [];
  });
  return {
    id: run.id, startedAt: run.started_at, finishedAt: run.finished_at,
    endpoints: endpoints.map((e) => ({ id: e.id, observedAt: e.observed_at, leaf: e.leaf, notBefore: e.not_before, notAfter: e.not_after })),
    findings: onEndpoints,
  };
}

export interface ShardDbRow {
  id: string;
  site: string | null;
  spec: string;
  done: number;
  attempt: number;
  tally: string | null;
}

export function toShardState(r: ShardDbRow): ShardState {
  return {
    id: r.id, site: r.site, spec: JSON.parse(r.spec) as unknown, done: r.done === 1, attempt: r.attempt,
    tally: r.tally === null ? null : (JSON.parse(r.tally) as Record<string, unknown>),
  };
}
