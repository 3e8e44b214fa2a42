// The inventory as rules, reports and maturity scoring see it: parsed certificates with the
// facts derived from them (where seen, whether served, path to an anchor), endpoints, judged
// revocation sources, AD CS facts, and what could not be parsed. One view per run, built from
// its observations and analysis, whether the run just ended or is re-rendered years later.
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
import { type AdcsInventory, buildAdcsInventories, sanctionedCertificates } from "./adcs/facts.js";
import type { CertificateRecord, PathResult, RunInfo, SightingSource } from "../model/types.js";
import type { EndpointRow, RunAnalysis, RunContents, RunObservations } from "../store/store.js";
import { profileRecordOf } from "../model/profile.js";
import { type OwnershipIndex, buildOwnership } from "./ownership.js";
import type { FileRecord } from "../model/keys.js";
import { type PrivateKeyFacts, privateKeyFacts } from "./private-keys.js";

export interface CertificateFacts {
  record: CertificateRecord;
  sha256: string;
  sources: ReadonlySet<SightingSource>;
  /** Endpoints serving it at any position of their chain. */
  endpoints: string[];
  /** Endpoints serving it as their leaf (position 0). */
  leafAt: string[];
  /** Files it was imported from. */
  files: string[];
  isAnchor: boolean;
  path: PathResult | null;
}

export interface UnparsableCertificate {
  sha256: string;
  error: string;
  locations: string[];
}

export interface InventoryView {
  run: RunInfo;
  now: Date;
  certificates: readonly CertificateFacts[];
  bySha: ReadonlyMap<string, CertificateFacts>;
  endpoints: readonly EndpointRow[];
  unparsable: readonly UnparsableCertificate[];
  crls: readonly CrlObservation[];
  ocsp: readonly OcspObservation[];
  /** AD CS configuration read over LDAP, one per forest. */
  adcs: readonly AdcsInventory[];
  /** sha256 of the run's sanctioned trust anchors. */
  anchors: ReadonlySet<string>;
  /** The thresholds the rules read (declared by the rules, set per run). */
  thresholds: Readonly<Record<string, number>>;
  /** Owner, site and tags of endpoints and certificates, from the profile the run was scanned with. */
  ownership: OwnershipIndex;
  /** Private keys found in scanned files, with the certificates they belong to. */
  privateKeys: readonly PrivateKeyFacts[];
  /** Keystores, and files the scan could not read whole. */
  files: readonly FileRecord[];
}

/** The view's input: a run's observations and what its analysis derived from them. */
export type ViewInput = Omit<RunObservations, "crlBodies" | "fetches"> & RunAnalysis;

export function buildInventoryView(contents: ViewInput, thresholds: Readonly<Record<string, number>>, now: Date): InventoryView {
  const anchors = new Set(contents.anchors);
  const paths = new Map(contents.paths.map((p) => [p.sha256, p]));
  const facts = new Map<string, CertificateFacts>();
  const unparsable = new Map<string, UnparsableCertificate>();

  // In sha256 order, so a view built at scan time and one rebuilt from the store list alike.
  for (const c of [...contents.certificates].sort((a, b) => a.sha256.localeCompare(b.sha256))) {
    if (c.record) {
      facts.set(c.sha256, {
        record: c.record, sha256: c.sha256, sources: new Set(), endpoints: [], leafAt: [], files: [],
        isAnchor: anchors.has(c.sha256), path: paths.get(c.sha256) ?? null,
      });
    } else {
      unparsable.set(c.sha256, { sha256: c.sha256, error: c.parseError ?? "unparsable", locations: [] });
    }
  }
  for (const s of contents.sightings) {
    const bad = unparsable.get(s.sha256);
    if (bad) {
      bad.locations.push(s.location);
      continue;
    }
    const f = facts.get(s.sha256);
    if (!f) continue;
    (f.sources as Set<SightingSource>).add(s.source);
    if (s.source === "tls") {
      pushOnce(f.endpoints, s.location);
      if (s.position === 0) pushOnce(f.leafAt, s.location);
    } else if (s.source === "file") {
      pushOnce(f.files, s.location);
    }
  }
  for (const id of anchors) {
    const f = facts.get(id);
    if (f) (f.sources as Set<SightingSource>).add("anchor");
  }
  const certificates = [...facts.values()];
  return {
    run: contents.run,
    now,
    certificates,
    bySha: facts,
    endpoints: contents.endpoints,
    unparsable: [...unparsable.values()],
    crls: contents.crls,
    ocsp: contents.ocsp,
    adcs: buildAdcsInventories(contents.snapshots, sanctionedCertificates(contents)),
    anchors,
    thresholds,
    ownership: buildOwnership(profileRecordOf(contents.run.options), contents.endpoints, certificates),
    privateKeys: privateKeyFacts(contents.privateKeys ?? [], certificates),
    files: contents.fileRecords ?? [],
  };
}

/** The view of a stored run as its analysis saw it: same thresholds, same clock. */
export function storedRunView(contents: RunContents): InventoryView {
  return buildInventoryView(contents, contents.thresholds, new Date(contents.validationTime));
}

function pushOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

// ---- facts: one small function each, so rules read facts and never raw bytes ----

const DAY_MS = 86_400_000;

export function isServed(c: CertificateFacts): boolean {
  return c.endpoints.length > 0;
}

/** Seen in service or in an imported store (not only fetched over AIA or supplied as an anchor). */
export function isInUse(c: CertificateFacts): boolean {
  return c.sources.has("tls") || c.sources.has("file") || c.sources.has("ldap");
}

/**
 * A root kept in a trust store (a file, NTAuth) or sent along in a chain: a self-signed CA
 * certificate that no endpoint presents as its own (leaf) and no enterprise CA issues with. It is
 * a trust decision, not a certificate a service depends on.
 */
export function isTrustStoreRoot(c: CertificateFacts, view: InventoryView): boolean {
  return c.record.isCA && !!c.path?.selfSigned && c.leafAt.length === 0
    && !view.adcs.some((a) => a.enterpriseCas.some((ca) => ca.certificates.some((ref) => ref.sha256 === c.sha256)));
}

/** Certificates in service: in use, but for the trust decisions among them (anchors, trust-store roots). */
export function inServiceCertificates(view: InventoryView): CertificateFacts[] {
  return view.certificates.filter((c) => isInUse(c) && !c.isAnchor && !isTrustStoreRoot(c, view));
}

export function isExpired(c: CertificateFacts, now: Date): boolean {
  return Date.parse(c.record.notAfter) < now.getTime();
}

export function daysUntilExpiry(c: CertificateFacts, now: Date): number {
  return (Date.parse(c.record.notAfter) - now.getTime()) / DAY_MS;
}

export function validityDays(c: CertificateFacts): number {
  return (Date.parse(c.record.notAfter) - Date.parse(c.record.notBefore)) / DAY_MS;
}

/**
 * A TLS server certificate: served as an endpoint's leaf, whatever its basicConstraints say (an
 * appliance's `openssl req -x509` certificate is CA:TRUE, and still what clients validate), or
 * imported, not a CA, with an EKU naming server authentication.
 */
export function isTlsServerCertificate(c: CertificateFacts): boolean {
  if (c.leafAt.length > 0) return true;
  const eku = c.record.extendedKeyUsage;
  return c.files.length > 0 && !c.record.isCA && (eku.includes("serverAuth") || eku.includes("anyExtendedKeyUsage"));
}

/** Subject of a certificate, for messages. */
export function label(c: CertificateFacts): string {
  return c.record.subject || `(empty subject) ${c.sha256.slice(0, 16)}`;
}
