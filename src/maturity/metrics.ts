// Maturity metrics: measurable facts about a run, computed from the inventory view its rules
// read and the conclusions they reached, each citing the objects it rests on by stable id
// (certificate sha256, endpoint id, CRL URL, template DN, finding id). A metric the run could not
// observe (no CRL read, no AD CS source, no history) has value null and says why: a rubric must
// then treat its criterion as not assessed, never as passed or failed.
import { type CertificateFacts, type InventoryView, inServiceCertificates, isTlsServerCertificate, validityDays } from "../inventory/inventory.js";
import { groupBy } from "../collections.js";
import type { Finding } from "../model/types.js";
import type { HistoryRun, RunConclusions } from "../store/store.js";
import { historyMetrics, historyRunOf } from "./history.js";

import type { EvidenceKind, EvidenceRef } from "../model/evidence.js";

export type { EvidenceKind, EvidenceRef } from "../model/evidence.js";

export interface Metric {
  id: string;
  /** What it measures, for reports. */
  description: string;
  /** A share (0–1), a count or a number of days; null when the run could not observe it. */
  value: number | null;
  /** For shares: the objects counted in the numerator and the denominator. */
  count?: number;
  total?: number;
  /** Why the value is null: what to scan to observe it. */
  notObserved?: string;
  /** The objects the value rests on (for a share: those counted, capped at EVIDENCE_LIMIT). */
  evidence: EvidenceRef[];
  /** Breakdown, for distributions (key algorithms, TLS versions). */
  breakdown?: Record<string, number>;
}

/** Evidence lists name at most this many objects each; counts are always complete. */
export const EVIDENCE_LIMIT = 50;

/** TLS leaves valid this long or less are evidence of automated issuance (ACME's 90 days). */
export const SHORT_LIVED_DAYS = 90;
/** The CA/Browser Forum limit for TLS server certificates. */
export const LONG_LIVED_DAYS = 398;
/** Short-lived certificates from one issuer for at least this many hosts look like ACME issuance. */
export const ACME_MIN_HOSTS = 3;
/** Organisations of public CAs whose TLS issuance is ACME (matched in the issuing CA's subject). */
const ACME_CA_ORGANISATIONS = ["Let's Encrypt", "ZeroSSL", "Buypass"];

const cite = (kind: EvidenceKind, ids: Iterable<string>): EvidenceRef[] =>
  [...new Set(ids)].slice(0, EVIDENCE_LIMIT).map((id) => ({ kind, id }));

function share(id: string, description: string, counted: readonly string[], total: number, kind: EvidenceKind, notObserved: string): Metric {
  if (total === 0) return { id, description, value: null, count: 0, total: 0, notObserved, evidence: [] };
  return { id, description, value: counted.length / total, count: counted.length, total, evidence: cite(kind, counted) };
}

function count(id: string, description: string, ids: readonly string[], kind: EvidenceKind, extra: Partial<Metric> = {}): Metric {
  return { id, description, value: ids.length, evidence: cite(kind, ids), ...extra };
}

/** Certificates a finding of this rule names. */
function flagged(findings: readonly Finding[], ruleId: string): Set<string> {
  return new Set(findings.filter((f) => f.ruleId === ruleId && f.certificate).map((f) => f.certificate!));
}

/** The CA that issued a certificate: the next link of its trusted or partial path. */
function issuerOf(c: CertificateFacts): string | null {
  const chain = c.path?.trustedPath ?? c.path?.partialPath ?? [];
  return chain[1] ?? null;
}

/** `history`: the earlier runs of the view's endpoints, oldest first (Store.runHistory's `earlier`); none, and the history metrics are null. */
export function computeMetrics(
  view: InventoryView, conclusions: Pick<RunConclusions, "findings">, history: readonly HistoryRun[] = [],
): Record<string, Metric> {
  const { findings } = conclusions;
  // Roots in trust stores are trust decisions, not certificates in service: a store import of
  // unsanctioned or expired roots must not read as shadow issuance or outages.
  const inUse = inServiceCertificates(view);
  const inUseIds = inUse.map((c) => c.sha256);
  const tlsLeaves = view.certificates.filter(isTlsServerCertificate);
  const servedEndpoints = view.endpoints.filter((e) => e.chain.length > 0);
  const noCertificates = "no certificate in use was collected: scan endpoints (--targets) or import stores (--files)";
  const metrics: Metric[] = [];

  // Governance: who owns the certificates in service (owners come from the scan's profile).
  metrics.push(view.ownership.ownersConfigured
    ? share("governance.owned-share", "share of certificates in use with a known owner (from the owner of their network or file source)",
      inUseIds.filter((id) => view.ownership.certificates.get(id)?.owner), inUse.length, "certificate", noCertificates)
    : { id: "governance.owned-share", description: "share of certificates in use with a known owner (from the owner of their network or file source)",
        value: null, notObserved: "no profile with owners: scan with --config and a profile that names owners", evidence: [] });

  // Trust: do served chains reach a sanctioned anchor, and which CAs issue what.
  const unsanctionedEndpoints = servedEndpoints.filter((e) => !view.bySha.get(e.chain[0]!)?.path?.trustedPath).map((e) => e.id);
  // A set: the array's includes per endpoint would be quadratic (minutes at 100,000 endpoints).
  const unsanctionedIds = new Set(unsanctionedEndpoints);
  metrics.push(share("endpoints.sanctioned-share", "share of TLS endpoints whose certificate chains to a sanctioned anchor",
    servedEndpoints.filter((e) => !unsanctionedIds.has(e.id)).map((e) => e.id), servedEndpoints.length, "endpoint",
    "no TLS endpoint answered: scan a network with --targets"));
  metrics.push(share("endpoints.unsanctioned-share", "share of TLS endpoints whose chain reaches no sanctioned anchor",
    unsanctionedEndpoints, servedEndpoints.length, "endpoint", "no TLS endpoint answered: scan a network with --targets"));
  const issuers = new Set(inUse.flatMap((c) => issuerOf(c) ?? []));
  const issuingCas = [...issuers].filter((id) => view.bySha.get(id)?.record.isCA || view.anchors.has(id));
  const unsanctionedCas = issuingCas.filter((id) => !view.anchors.has(id) && !view.bySha.get(id)?.path?.trustedPath);
  metrics.push(count("cas.issuing", "distinct CAs that issued certificates in use", issuingCas, "certificate"));
  metrics.push(count("cas.unsanctioned", "issuing CAs with no path to a sanctioned anchor (shadow or rogue CAs)", unsanctionedCas, "certificate"));
  const fromUnsanctioned = inUse.filter((c) => !c.path?.trustedPath).map((c) => c.sha256);
  metrics.push(share("certificates.unsanctioned-share", "share of certificates in use that chain to no sanctioned anchor",
    fromUnsanctioned, inUse.length, "certificate", noCertificates));

  // Cryptographic hygiene, from the rules' own verdicts.
  for (const [id, ruleId, what] of [
    ["keys.weak-share", "weak-key", "weak keys"],
    ["signatures.weak-share", "weak-signature", "weak signatures"],
    ["certificates.expired-share", "expired", "expired certificates"],
    ["certificates.expiring-share", "expiring-soon", "certificates expiring soon"],
  ] as const) {
    const hit = flagged(findings, ruleId);
    metrics.push(share(id, `share of certificates in use with ${what} (${ruleId})`, inUseIds.filter((c) => hit.has(c)), inUse.length, "certificate", noCertificates));
  }

  // Revocation: freshness, availability, redundancy per CA.
  const readCrls = view.crls.filter((c) => c.crl !== null);
  const freshCrls = readCrls.filter((c) => c.crl!.nextUpdate === null || Date.parse(c.crl!.nextUpdate) >= view.now.getTime());
  metrics.push(share("crl.fresh-share", "share of CRLs read that are within their nextUpdate", freshCrls.map((c) => c.url), readCrls.length, "crl",
    "no CRL was read: scan with revocation checking on and let pkiscope reach the CDPs"));
  const queried = view.ocsp.filter((o) => o.source === "responder" && o.skipped === null && o.url);
  const responders = [...new Set(queried.map((o) => o.url!))];
  const answering = responders.filter((url) => queried.some((o) => o.url === url && o.error === null));
  metrics.push(share("ocsp.available-share", "share of OCSP responders queried that answered", answering, responders.length, "ocsp-responder",
    "no OCSP responder was queried: scan endpoints whose certificates name one, with revocation checking on"));
  const issuingCaIds = new Set(issuingCas);
  const byCa = groupBy(inUse, (c) => {
    const issuer = issuerOf(c);
    return issuer && issuingCaIds.has(issuer) ? issuer : null;
  });
  const redundant = [...byCa].filter(([, issued]) =>
    issued.every((c) => c.record.crlDistributionPoints.length + (c.record.ocspUrls.length > 0 ? 1 : 0) >= 2)).map(([ca]) => ca);
  metrics.push(share("revocation.redundant-ca-share", "share of issuing CAs whose certificates all name two revocation sources (several CDPs, or a CDP and OCSP)",
    redundant, byCa.size, "certificate", "no issuing CA was identified"));
  const outlived = [...byCa].filter(([ca, issued]) => {
    const caCert = view.bySha.get(ca);
    return caCert && issued.some((c) => Date.parse(c.record.notAfter) > Date.parse(caCert.record.notAfter));
  }).map(([ca]) => ca);
  metrics.push(count("cas.expire-before-issued", "CAs whose certificate expires before certificates they issued", outlived, "certificate"));

  // Issuance: validity periods of TLS leaves (short-lived ones are evidence of automation).
  const validities = tlsLeaves.map((c) => validityDays(c)).sort((a, b) => a - b);
  const shortLived = tlsLeaves.filter((c) => validityDays(c) <= SHORT_LIVED_DAYS).map((c) => c.sha256);
  const longLived = tlsLeaves.filter((c) => validityDays(c) > LONG_LIVED_DAYS).map((c) => c.sha256);
  const noLeaves = "no TLS server certificate was collected: scan endpoints with --targets";
  metrics.push(share("tls.short-lived-share", `share of TLS server certificates valid ${SHORT_LIVED_DAYS} days or less`, shortLived, tlsLeaves.length, "certificate", noLeaves));
  metrics.push(share("tls.long-lived-share", `share of TLS server certificates valid more than ${LONG_LIVED_DAYS} days`, longLived, tlsLeaves.length, "certificate", noLeaves));
  metrics.push(validities.length === 0
    ? { id: "tls.median-validity-days", description: "median validity of TLS server certificates, in days", value: null, notObserved: noLeaves, evidence: [] }
    : { id: "tls.median-validity-days", description: "median validity of TLS server certificates, in days", value: Math.round(validities[Math.floor(validities.length / 2)]!), evidence: cite("certificate", tlsLeaves.map((c) => c.sha256)) });

  // ACME-style issuance: one issuer, short-lived certificates across many hosts, or a known ACME CA.
  const leavesByIssuer = groupBy(tlsLeaves, issuerOf);
  const acmeStyle = [...leavesByIssuer].filter(([issuer, leaves]) => {
    const subject = view.bySha.get(issuer)?.record.subject ?? leaves[0]!.record.issuer;
    if (ACME_CA_ORGANISATIONS.some((o) => subject.includes(`O=${o}`))) return true;
    const hosts = new Set(leaves.flatMap((c) => (c.record.sans.length > 0 ? c.record.sans : c.leafAt)));
    return hosts.size >= ACME_MIN_HOSTS && leaves.every((c) => validityDays(c) <= SHORT_LIVED_DAYS);
  }).map(([issuer]) => issuer);
  metrics.push(leavesByIssuer.size === 0
    ? { id: "issuance.acme-style-issuers", description: "issuers of TLS certificates that look automated (ACME)", value: null, notObserved: noLeaves, evidence: [] }
    : count("issuance.acme-style-issuers", `issuers of TLS certificates that look automated (ACME): a known ACME CA, or certificates of ${SHORT_LIVED_DAYS} days or less for ${ACME_MIN_HOSTS} hosts or more`, acmeStyle, "certificate"));

  // Profiles: does each CA issue one consistent kind of certificate (key, signature, EKUs)?
  const profileOf = (c: CertificateFacts): string =>
    [c.record.keyAlgorithm, c.record.curve ?? c.record.keySize, c.record.signatureAlgorithm, [...c.record.extendedKeyUsage].sort().join("+")].join(" ");
  const comparable = [...byCa].filter(([, issuedBy]) => issuedBy.length >= 2);
  const consistent = comparable.filter(([, issuedBy]) => new Set(issuedBy.map(profileOf)).size === 1).map(([ca]) => ca);
  metrics.push(share("profiles.consistent-ca-share", "share of CAs (with two or more certificates in use) whose certificates share one profile: key, signature algorithm, EKUs",
    consistent, comparable.length, "certificate", "no CA issued two or more of the certificates collected"));
  // Profile defects (certificate-profile): the share counts the clean certificates, the evidence
  // cites the flagged ones, which are what a reader acts on. Records of older parsers carry no
  // profile facts, so the rule could not judge them: they are left out.
  const issued = inUse.filter((c) => !c.path?.selfSigned);
  const profiled = issued.filter((c) => c.record.profile !== undefined);
  const profileDefects = flagged(findings, "certificate-profile");
  const defective = profiled.filter((c) => profileDefects.has(c.sha256)).map((c) => c.sha256);
  const defectFree = "share of issued certificates in use with no certificate-profile finding (evidence: the certificates flagged)";
  metrics.push(profiled.length === 0
    ? share("profiles.defect-free-share", defectFree, [], 0, "certificate", noCertificates)
    : { id: "profiles.defect-free-share", description: defectFree, value: (profiled.length - defective.length) / profiled.length,
        count: profiled.length - defective.length, total: profiled.length, evidence: cite("certificate", defective) });

  // Policy: certificate policy OIDs in issued certificates (evidence of a CP/CPS).
  metrics.push(share("policy.oid-share", "share of issued certificates in use that carry certificate policy OIDs",
    issued.filter((c) => c.record.certificatePolicies.length > 0).map((c) => c.sha256), issued.length, "certificate", noCertificates));
  metrics.push(share("policy.cps-share", "share of issued certificates in use whose policies point to a published CPS (a CPS qualifier)",
    issued.filter((c) => (c.record.cpsUris ?? []).length > 0).map((c) => c.sha256), issued.length, "certificate", noCertificates));

  // Agility: key algorithms and TLS versions in service.
  const algorithms: Record<string, number> = {};
  for (const c of inUse) algorithms[c.record.keyAlgorithm] = (algorithms[c.record.keyAlgorithm] ?? 0) + 1;
  metrics.push({
    id: "keys.algorithm-families", description: "key algorithm families in service (RSA, EC, ...)",
    value: inUse.length === 0 ? null : Object.keys(algorithms).length, breakdown: algorithms, evidence: [],
    ...(inUse.length === 0 ? { notObserved: noCertificates } : {}),
  });
  const versions: Record<string, number> = {};
  for (const e of servedEndpoints) if (e.tlsVersion) versions[e.tlsVersion] = (versions[e.tlsVersion] ?? 0) + 1;
  metrics.push({
    ...share("tls.v13-share", "share of TLS endpoints that negotiated TLS 1.3", servedEndpoints.filter((e) => e.tlsVersion === "TLSv1.3").map((e) => e.id),
      servedEndpoints.length, "endpoint", "no TLS endpoint answered: scan a network with --targets"),
    breakdown: versions,
  });
  // Protocol posture (--protocols): endpoints still accepting what RFC 8996 deprecates, as the
  // legacy-protocol rule judged them; the breakdown counts the endpoints accepting each version.
  const postured = view.endpoints.filter((e) => e.protocols);
  const legacyEndpoints = new Set(findings.filter((f) => f.ruleId === "legacy-protocol").flatMap((f) => f.endpoints));
  const acceptedBy: Record<string, number> = {};
  for (const e of postured) {
    for (const [version, result] of Object.entries(e.protocols!)) if (result.outcome === "accepted") acceptedBy[version] = (acceptedBy[version] ?? 0) + 1;
  }
  metrics.push({
    ...share("tls.legacy-protocol-share", "share of TLS endpoints probed for protocol posture that accept TLS 1.0 or 1.1 (legacy-protocol)",
      postured.filter((e) => legacyEndpoints.has(e.id)).map((e) => e.id), postured.length, "endpoint",
      "no protocol posture was probed: scan with --protocols"),
    breakdown: acceptedBy,
  });

  // AD CS: auto-enrollment and online roots.
  const noAdcs = "AD CS was not scanned: scan a domain controller with --ldap";
  const templates = view.adcs.flatMap((a) => a.templates);
  const published = templates.filter((t) => t.publishedBy.length > 0);
  metrics.push(view.adcs.length === 0
    ? { id: "adcs.auto-enrollment-templates", description: "published AD CS templates with auto-enrollment", value: null, notObserved: noAdcs, evidence: [] }
    : count("adcs.auto-enrollment-templates", "published AD CS templates with auto-enrollment",
      published.filter((t) => t.template.enrollmentFlags.includes("CT_FLAG_AUTO_ENROLLMENT")).map((t) => t.template.dn), "template"));
  const onlineRoots = view.adcs.flatMap((a) => a.enterpriseCas).filter((ca) =>
    ca.certificates.some((ref) => view.bySha.get(ref.sha256)?.path?.selfSigned)).map((ca) => ca.dn);
  metrics.push(view.adcs.length === 0
    ? { id: "adcs.online-roots", description: "enterprise CAs whose CA certificate is self-signed (a root online on the network)", value: null, notObserved: noAdcs, evidence: [] }
    : count("adcs.online-roots", "enterprise CAs whose CA certificate is self-signed (a root online on the network)", onlineRoots, "enterprise-ca"));

  // History: renewals, scan cadence, incidents and regressions across runs of these endpoints.
  metrics.push(...historyMetrics({ run: historyRunOf(view, findings), earlier: history }));

  return Object.fromEntries(metrics.map((m) => [m.id, m]));
}
