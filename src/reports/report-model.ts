// The report document (schemaVersion 1), built from a stored run. Its JSON shape is a public
// contract described by docs/report.schema.json; every renderer (JSON, HTML, CSV) starts here.
// Later sections (maturity, revocation, AD CS) are added as new top-level or inventory keys.
import { buildAdcsInventories, sanctionedCertificates } from "../inventory/adcs/facts.js";
import { type AdcsReportSection, adcsReportSection } from "../inventory/adcs/report-section.js";
import { RULES } from "../../rules/index.js";
import type { RuleMeta } from "../engine/rule.js";
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
import type { CertificateRecord, Finding, Severity } from "../model/types.js";
import { SEVERITIES } from "../model/types.js";
import type { RunContents } from "../store/store.js";

export const REPORT_SCHEMA_VERSION = 1;

export interface ReportEndpoint {
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
}

/** A certificate as reported: its parsed fields, where it was seen, and its trusted path. */
export type ReportCertificate = Pick<
  CertificateRecord,
  | "sha256" | "subject" | "issuer" | "serialNumber" | "notBefore" | "notAfter" | "keyAlgorithm" | "keySize"
  | "curve" | "signatureAlgorithm" | "sans" | "isCA" | "crlDistributionPoints" | "ocspUrls" | "caIssuersUrls"
  | "certificatePolicies" | "extendedKeyUsage" | "keyUsage"
> & {
  endpoints: string[];
  files: string[];
  sources: string[];
  trustedPath: string[] | null;
};

export interface ReportCa {
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
  };
  findings: Finding[];
  /** Metadata of every rule that produced a finding: title, why it matters, how to fix it. */
  rules: RuleMeta[];
  ruleFailures: { ruleId: string; error: string }[];
}

export function buildReport(contents: RunContents): Report {
  const anchors = new Set(contents.anchors);
  const paths = new Map(contents.paths.map((p) => [p.sha256, p]));
  const sightingsBy = new Map<string, { endpoints: Set<string>; files: Set<string>; sources: Set<string> }>();
  for (const s of contents.sightings) {
    let entry = sightingsBy.get(s.sha256);
    if (!entry) sightingsBy.set(s.sha256, (entry = { endpoints: new Set(), files: new Set(), sources: new Set() }));
    entry.sources.add(s.source);
    if (s.source === "tls") entry.endpoints.add(s.location);
    if (s.source === "file") entry.files.add(s.location);
  }

  const certificates: ReportCertificate[] = [];
  const unparsable: ReportUnparsable[] = [];
  const issuedCount = new Map<string, number>();
  for (const p of contents.paths) {
    const chain = p.trustedPath ?? p.partialPath;
    const issuer = chain[1];
    if (issuer) issuedCount.set(issuer, (issuedCount.get(issuer) ?? 0) + 1);
  }
  for (const c of contents.certificates) {
    const seen = sightingsBy.get(c.sha256);
    const sources = seen ? [...seen.sources] : [];
    if (anchors.has(c.sha256) && !sources.includes("anchor")) sources.push("anchor");
    if (!c.record) {
      unparsable.push({ sha256: c.sha256, error: c.parseError ?? "unparsable", locations: [...(seen?.endpoints ?? []), ...(seen?.files ?? [])] });
      continue;
    }
    const r = c.record;
    certificates.push({
      sha256: r.sha256, subject: r.subject, issuer: r.issuer, serialNumber: r.serialNumber,
      notBefore: r.notBefore, notAfter: r.notAfter, keyAlgorithm: r.keyAlgorithm, keySize: r.keySize, curve: r.curve,
      signatureAlgorithm: r.signatureAlgorithm, sans: r.sans, isCA: r.isCA,
      endpoints: [...(seen?.endpoints ?? [])], files: [...(seen?.files ?? [])], sources,
      trustedPath: paths.get(r.sha256)?.trustedPath ?? null,
      crlDistributionPoints: r.crlDistributionPoints, ocspUrls: r.ocspUrls, caIssuersUrls: r.caIssuersUrls,
      certificatePolicies: r.certificatePolicies, extendedKeyUsage: r.extendedKeyUsage, keyUsage: r.keyUsage,
    });
  }

  const cas: ReportCa[] = certificates
    .filter((c) => c.isCA || anchors.has(c.sha256))
    .map((c) => {
      const path = paths.get(c.sha256);
      const chain = path?.trustedPath ?? path?.partialPath ?? [];
      return {
        sha256: c.sha256, subject: c.subject, issuer: c.issuer, notAfter: c.notAfter,
        sanctioned: anchors.has(c.sha256) || !!path?.trustedPath,
        anchor: anchors.has(c.sha256),
        issued: issuedCount.get(c.sha256) ?? 0,
        parent: chain[1] ?? null,
      };
    });

  const endpoints: ReportEndpoint[] = contents.endpoints.map((e) => ({
    id: e.id, address: e.address, port: e.port, sni: e.sni, status: e.status, error: e.error,
    tlsVersion: e.tlsVersion, cipher: e.cipher, chain: e.chain, stapledOcsp: e.stapledOcsp !== null, observedAt: e.observedAt,
    durationMs: e.durationMs,
  }));
  const endpointsByStatus: Record<string, number> = {};
  for (const e of endpoints) endpointsByStatus[e.status] = (endpointsByStatus[e.status] ?? 0) + 1;
  const findingsBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of contents.findings) findingsBySeverity[f.severity]++;
  const findings = [...contents.findings].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId),
  );

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    scan: {
      id: contents.run.id,
      startedAt: contents.run.startedAt,
      finishedAt: contents.run.finishedAt,
      complete: contents.run.complete,
      targets: contents.run.targets,
      ports: contents.run.ports,
      trustAnchors: typeof contents.run.options.trustAnchors === "string" ? contents.run.options.trustAnchors : null,
      stats: contents.run.stats,
    },
    summary: {
      endpointsByStatus,
      probesByOutcome: probeTally(contents.run.stats),
      certificates: certificates.length,
      cas: cas.length,
      unparsable: unparsable.length,
      findingsBySeverity,
    },
    inventory: {
      endpoints, certificates, cas, unparsable, crls: contents.crls, ocsp: contents.ocsp,
      adcs: adcsReportSection(buildAdcsInventories(contents.snapshots, sanctionedCertificates(contents))),
    },
    findings,
    rules: RULES.map((r) => r.meta).filter((meta) => findings.some((f) => f.ruleId === meta.id)),
    ruleFailures: contents.ruleFailures,
  };
}

/** The TLS collector's tally from the run statistics (empty for runs without a sweep). */
function probeTally(stats: Record<string, unknown>): Record<string, number> {
  const tls = (stats.collectors as Record<string, unknown> | undefined)?.tls;
  if (!tls || typeof tls !== "object") return {};
  return Object.fromEntries(Object.entries(tls).filter((e): e is [string, number] => typeof e[1] === "number"));
}
