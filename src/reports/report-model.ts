// The report document (schemaVersion 1), built from a run's inventory view (the one its rules
// read) and its saved conclusions (findings, rule outcomes, the rule texts of the pkiscope that
// analysed it). Its JSON shape is a public contract described by docs/report.schema.json; every
// renderer (JSON, HTML, CSV) starts here. Later sections are added as new keys.
import { type AdcsReportSection, adcsReportSection } from "../inventory/adcs/report-section.js";
import { type InventoryView, storedRunView } from "../inventory/inventory.js";
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
import type { FileRecord } from "../model/keys.js";
import type { PrivateKeyFacts } from "../inventory/private-keys.js";
import type { MaturityScore } from "../model/maturity.js";
import type { PkicAssessment } from "../model/pkic.js";
import { type Ownership, profileRecordOf } from "../model/profile.js";
import type { RuleMeta, RuleOutcome } from "../model/rules.js";
import type { Category, CertificateRecord, Finding, ProtocolSupport, Severity } from "../model/types.js";
import { SEVERITIES } from "../model/types.js";
import type { SeenSpan } from "../model/diff.js";
import { type ReportHistory, type Trends, maturityLevels, trendRun } from "../model/trends.js";
import type { RunConclusions, RunContents } from "../store/store.js";
import { expiryWeeks } from "./expiry-weeks.js";

export const REPORT_SCHEMA_VERSION = 1;

export type ReportEndpoint = {
  id: string;
  address: string;
  port: number;
  sni: string | null;
  status: string;
  error: string | null;
  tlsVersion: string | null;
  cipher: string | null;
  chain: string[];
  stapledOcsp: boolean;
  observedAt: string;
  durationMs: number;
  /** The plaintext protocol upgraded to TLS first (e.g. "smtp"); null for TLS from the first byte. */
  starttls: string | null;
  /** Which TLS versions the endpoint accepts (--protocols); null when the scan did not probe them. */
  protocols: ProtocolSupport | null;
} & ReportOwnership & SeenSpan;

/** Who owns an endpoint or certificate, from the scan's profile (null and [] when unknown). */
export type ReportOwnership = Ownership;

/** Endpoints, certificates and findings of one owner (null: of no known owner). */
export interface ReportOwnerSummary {
  owner: string | null;
  endpoints: number;
  certificates: number;
  findingsBySeverity: Record<Severity, number>;
}

/** A certificate as reported: its parsed fields, where it was seen, and its trusted path. */
export type ReportCertificate = Pick<
  CertificateRecord,
  | "sha256" | "subject" | "issuer" | "serialNumber" | "notBefore" | "notAfter" | "keyAlgorithm" | "keySize"
  | "curve" | "spkiSha256" | "signatureAlgorithm" | "sans" | "isCA" | "crlDistributionPoints" | "ocspUrls" | "caIssuersUrls"
  | "certificatePolicies" | "extendedKeyUsage" | "keyUsage"
> & {
  endpoints: string[];
  files: string[];
  sources: string[];
  trustedPath: string[] | null;
} & ReportOwnership & SeenSpan;

/**
 * When the store's complete runs up to the reported one first and last saw an object: certificates
 * in any sighting but an anchor one, endpoints serving a certificate (Store.seenSpans). Null when
 * none did, and in a report built without the store.
 */
export type { SeenSpan } from "../model/diff.js";

export interface ReportCa extends SeenSpan {
  sha256: string;
  subject: string;
  issuer: string;
  notAfter: string;
  sanctioned: boolean;
  anchor: boolean;
  /** Certificates of this inventory whose path's next link is this CA. */
  issued: number;
  /** The CA this one's path continues to (null at a root or a dead end). */
  parent: string | null;
}

export interface ReportUnparsable {
  sha256: string;
  error: string;
  locations: string[];
}

export interface Report {
  schemaVersion: number;
  scan: {
    id: string;
    startedAt: string;
    finishedAt: string | null;
    complete: boolean;
    targets: string[];
    ports: number[];
    trustAnchors: string | null;
    /** The config profile scanned (--profile), or null. */
    profile: string | null;
    stats: Record<string, unknown>;
  };
  summary: {
    endpointsByStatus: Record<string, number>;
    /** Every probe of the sweep by outcome, refused and excluded ones included (they are not stored as endpoints). */
    probesByOutcome: Record<string, number>;
    certificates: number;
    cas: number;
    unparsable: number;
    findingsBySeverity: Record<Severity, number>;
    /** Per owner the profile names, then those of no known owner; empty when the scan's profile names no owner. */
    byOwner: ReportOwnerSummary[];
  };
  inventory: {
    endpoints: ReportEndpoint[];
    certificates: ReportCertificate[];
    cas: ReportCa[];
    unparsable: ReportUnparsable[];
    /** Every CRL fetched or read, with freshness, signature status and the certificates it covers. */
    crls: CrlObservation[];
    /** Every OCSP check: responder queries and stapled responses. */
    ocsp: OcspObservation[];
    /** AD CS read over LDAP: per forest, enterprise CAs, templates, NTAuth; and what LDAP cannot assess. */
    adcs: AdcsReportSection;
    /** Private keys found in scanned files: where, what, who can read them, the certificates they belong to; never the key. */
    privateKeys: PrivateKeyFacts[];
    /** Keystores (integrity, how opened) and files the scan could not read whole, each naming what was not read. */
    files: FileRecord[];
  };
  findings: Finding[];
  /** Metadata of every rule that produced a finding, as the analysing pkiscope had it. */
  rules: RuleMeta[];
  /** What every rule did: examined and clean, findings, not applicable, or failed. */
  ruleOutcomes: ReportRuleOutcome[];
  ruleFailures: { ruleId: string; error: string }[];
  /** Which pkiscope analysed the run, when, as of which moment (validationTime: --at, else analysedAt), and with which thresholds. */
  analysis: { pkiscopeVersion: string; analysedAt: string; validationTime: string; thresholds: Record<string, number> };
  /** The maturity levels the run's evidence supports, per category of the Keyfactor model; null for runs scored before maturity existed. */
  maturity: MaturityScore | null;
  /** The PKI Consortium model ratings the same metrics suggest, beside the main model; null for runs analysed before they were. */
  pkic: PkicAssessment | null;
  /** The series' runs up to this one (only this one in a report built without the store), and what expires in the coming weeks. */
  trends: Trends;
}

export type ReportRuleOutcome = RuleOutcome & { title: string; category: Category };

/** `history`: what the store adds (src/engine/trends.ts readReportHistory); without it, no first or last seen, and a trend of this run alone. */
export function buildReport(view: InventoryView, conclusions: RunConclusions, history?: ReportHistory): Report {
  const run = view.run;
  const seen = (spans: ReadonlyMap<string, SeenSpan> | undefined, id: string): SeenSpan => spans?.get(id) ?? { firstSeen: null, lastSeen: null };
  const issuedCount = new Map<string, number>();
  for (const c of view.certificates) {
    const issuer = c.path ? (c.path.trustedPath ?? c.path.partialPath)[1] : undefined;
    if (issuer) issuedCount.set(issuer, (issuedCount.get(issuer) ?? 0) + 1);
  }
  const certificates: ReportCertificate[] = view.certificates.map(({ record: r, ...c }) => ({
    sha256: r.sha256, subject: r.subject, issuer: r.issuer, serialNumber: r.serialNumber,
    notBefore: r.notBefore, notAfter: r.notAfter, keyAlgorithm: r.keyAlgorithm, keySize: r.keySize, curve: r.curve, spkiSha256: r.spkiSha256,
    signatureAlgorithm: r.signatureAlgorithm, sans: r.sans, isCA: r.isCA,
    endpoints: c.endpoints, files: c.files, sources: [...c.sources],
    trustedPath: c.path?.trustedPath ?? null,
    ...ownershipOf(view.ownership.certificates.get(r.sha256)),
    crlDistributionPoints: r.crlDistributionPoints, ocspUrls: r.ocspUrls, caIssuersUrls: r.caIssuersUrls,
    certificatePolicies: r.certificatePolicies, extendedKeyUsage: r.extendedKeyUsage, keyUsage: r.keyUsage,
    ...seen(history?.certificateSpans, r.sha256),
  }));
  const cas: ReportCa[] = view.certificates
    .filter((c) => c.record.isCA || c.isAnchor)
    .map((c) => {
      const chain = c.path?.trustedPath ?? c.path?.partialPath ?? [];
      return {
        sha256: c.sha256, subject: c.record.subject, issuer: c.record.issuer, notAfter: c.record.notAfter,
        sanctioned: c.isAnchor || !!c.path?.trustedPath,
        anchor: c.isAnchor,
        issued: issuedCount.get(c.sha256) ?? 0,
        parent: chain[1] ?? null,
        ...seen(history?.certificateSpans, c.sha256),
      };
    });

  const endpoints: ReportEndpoint[] = view.endpoints.map((e) => ({
    id: e.id, address: e.address, port: e.port, sni: e.sni, status: e.status, error: e.error,
    tlsVersion: e.tlsVersion, cipher: e.cipher, chain: e.chain, stapledOcsp: e.stapledOcsp !== null, observedAt: e.observedAt,
    durationMs: e.durationMs, starttls: e.starttls ?? null, protocols: e.protocols ?? null, ...ownershipOf(view.ownership.endpoints.get(e.id)), ...seen(history?.endpointSpans, e.id),
  }));
  const endpointsByStatus: Record<string, number> = {};
  for (const e of endpoints) endpointsByStatus[e.status] = (endpointsByStatus[e.status] ?? 0) + 1;
  const findingsBySeverity = noFindings();
  for (const f of conclusions.findings) findingsBySeverity[f.severity]++;
  const findings = [...conclusions.findings].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId) || a.id.localeCompare(b.id),
  );
  const metaOf = new Map(conclusions.rules.map((m) => [m.id, m]));

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    scan: {
      id: run.id,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      complete: run.complete,
      targets: run.targets,
      ports: run.ports,
      trustAnchors: typeof run.options.trustAnchors === "string" ? run.options.trustAnchors : null,
      profile: profileRecordOf(run.options)?.name ?? null,
      stats: run.stats,
    },
    summary: {
      endpointsByStatus,
      probesByOutcome: probeTally(run.stats),
      certificates: certificates.length,
      cas: cas.length,
      unparsable: view.unparsable.length,
      findingsBySeverity,
      byOwner: view.ownership.ownersConfigured ? ownerSummaries(endpoints, certificates, conclusions.findings) : [],
    },
    inventory: {
      endpoints, certificates, cas,
      unparsable: view.unparsable.map((u) => ({ sha256: u.sha256, error: u.error, locations: u.locations })),
      crls: [...view.crls], ocsp: [...view.ocsp],
      adcs: adcsReportSection(view.adcs),
      privateKeys: [...view.privateKeys], files: [...view.files],
    },
    findings,
    rules: conclusions.rules.filter((meta) => findings.some((f) => f.ruleId === meta.id)),
    ruleOutcomes: conclusions.ruleOutcomes.map((o) => ({
      ...o, title: metaOf.get(o.ruleId)?.title ?? o.ruleId, category: metaOf.get(o.ruleId)?.category ?? "security",
    })),
    ruleFailures: conclusions.ruleFailures,
    analysis: {
      pkiscopeVersion: conclusions.pkiscopeVersion, analysedAt: conclusions.analysedAt, validationTime: conclusions.validationTime,
      thresholds: conclusions.thresholds,
    },
    maturity: conclusions.maturity,
    pkic: conclusions.pkic,
    trends: {
      runs: history?.runs ?? [trendRun(run, maturityLevels(conclusions.maturity), new Set(conclusions.findings.map((f) => f.id)), null)],
      expiring: expiryWeeks(view),
    },
  };
}

function noFindings(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

function ownershipOf(known: Ownership | undefined): ReportOwnership {
  return { owner: known?.owner ?? null, site: known?.site ?? null, tags: known?.tags ?? [] };
}

/** A finding belongs to the owner of its certificate, else of its first endpoint. */
function ownerSummaries(
  endpoints: readonly ReportEndpoint[], certificates: readonly ReportCertificate[], findings: readonly Finding[],
): ReportOwnerSummary[] {
  const rows = new Map<string | null, ReportOwnerSummary>();
  const row = (owner: string | null): ReportOwnerSummary => {
    let r = rows.get(owner);
    if (!r) rows.set(owner, (r = { owner, endpoints: 0, certificates: 0, findingsBySeverity: noFindings() }));
    return r;
  };
  for (const e of endpoints) row(e.owner).endpoints++;
  for (const c of certificates) row(c.owner).certificates++;
  const endpointOwner = new Map(endpoints.map((e) => [e.id, e.owner]));
  const certificateOwner = new Map(certificates.map((c) => [c.sha256, c.owner]));
  for (const f of findings) {
    const owner = (f.certificate ? certificateOwner.get(f.certificate) : undefined) ?? (f.endpoints[0] ? endpointOwner.get(f.endpoints[0]) : undefined) ?? null;
    row(owner).findingsBySeverity[f.severity]++;
  }
  // Owners by name; the unknown owner last.
  return [...rows.values()].sort((a, b) => (a.owner === null ? 1 : b.owner === null ? -1 : a.owner.localeCompare(b.owner)));
}

/** The TLS collector's tally from the run statistics (empty for runs without a sweep). */
function probeTally(stats: Record<string, unknown>): Record<string, number> {
  const tls = (stats.collectors as Record<string, unknown> | undefined)?.tls;
  if (!tls || typeof tls !== "object") return {};
  return Object.fromEntries(Object.entries(tls).filter((e): e is [string, number] => typeof e[1] === "number"));
}

/** The report of a stored run, exactly as its scan reported it (without what the store adds: see buildReport's history). */
export function storedRunReport(contents: RunContents): Report {
  return buildReport(storedRunView(contents), contents);
}
