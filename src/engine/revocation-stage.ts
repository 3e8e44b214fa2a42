// Second collection pass: revocation sources are targets the first pass discovered (CRL
// distribution points and OCSP responders named in certificates, staples from endpoints), so
// their targets are derived from the stored inventory and paths, then handed to collectors.
import type { CollectorContext, CollectorTally } from "../../collectors/collector.js";
import { type CrlTarget, crlCollector } from "../../collectors/crl/index.js";
import { type OcspQuery, type OcspStaple, ocspCollector } from "../../collectors/ocsp/index.js";
import { buildAdcsInventories } from "../inventory/adcs/facts.js";
import { findPublishedCrl } from "../inventory/adcs/published-crls.js";
import { normalizeSerial } from "../pki/crl.js";
import type { PathResult } from "../model/types.js";
import type { UrlFetcher } from "../net/fetcher.js";
import type { RunContents, StoredCertificate } from "../store/store.js";
import type { RevocationPlan } from "./defaults.js";

export async function collectRevocation(
  contents: RunContents,
  paths: readonly PathResult[],
  plan: RevocationPlan,
  fetcher: UrlFetcher | null,
  ctx: CollectorContext,
): Promise<Record<string, CollectorTally>> {
  const parsed = contents.certificates.filter((c): c is StoredCertificate & { record: NonNullable<StoredCertificate["record"]> } => c.record !== null);
  const bySha = new Map(parsed.map((c) => [c.sha256, c]));
  const issuerOf = issuerLookup(paths, bySha);
  const bySubject = new Map<string, { sha256: string; der: Buffer }[]>();
  for (const c of parsed) {
    if (c.subjectNameHash) bySubject.set(c.subjectNameHash, [...(bySubject.get(c.subjectNameHash) ?? []), { sha256: c.sha256, der: c.der }]);
  }

  const crlTargets = new Map<string, CrlTarget>();
  const addTarget = (url: string, source: CrlTarget["source"], certificate?: string): void => {
    let target = crlTargets.get(url);
    if (!target) crlTargets.set(url, (target = { url, source, certificates: [] }));
    if (certificate) target.certificates.push(certificate);
  };
  if (plan.enabled) for (const c of parsed) for (const url of c.record.crlDistributionPoints) addTarget(url, "cdp", c.sha256);
  for (const url of plan.crlUrls) addTarget(url, "cli");

  // CRLs the AD CS collector read from CN=CDP answer the ldap:/// URLs AD CS certificates name.
  const adcs = buildAdcsInventories(contents.snapshots, new Set());
  const tallies: Record<string, CollectorTally> = {};
  if (crlTargets.size > 0 || plan.crlFiles.length > 0) {
    tallies.crl = await crlCollector.collect(
      {
        targets: [...crlTargets.values()],
        files: plan.crlFiles,
        fetcher,
        published: (url) => {
          const crl = findPublishedCrl(adcs, url);
          return crl ? Buffer.from(crl.derBase64, "base64") : null;
        },
        certificates: parsed.map((c) => ({ sha256: c.sha256, serial: normalizeSerial(c.record.serialNumber), issuerNameHash: c.issuerNameHash ?? "" })),
        issuersNamed: (nameHash) => bySubject.get(nameHash) ?? [],
      },
      ctx,
    );
  }
  if (!plan.enabled) return tallies;

  const servedLeaves = new Set(contents.sightings.filter((s) => s.source === "tls" && s.position === 0).map((s) => s.sha256));
  const queries: OcspQuery[] = [...servedLeaves].flatMap((sha256) => {
    const c = bySha.get(sha256);
    return c ? c.record.ocspUrls.map((url) => ({ sha256, der: c.der, issuer: issuerOf(sha256), url })) : [];
  });
  const staples: OcspStaple[] = contents.endpoints.flatMap((e) => {
    const leaf = e.chain[0] ? bySha.get(e.chain[0]) : undefined;
    return e.stapledOcsp && leaf ? [{ sha256: leaf.sha256, der: leaf.der, issuer: issuerOf(leaf.sha256), endpoint: e.id, response: e.stapledOcsp }] : [];
  });
  if (queries.length + staples.length > 0) tallies.ocsp = await ocspCollector.collect({ queries, staples, fetcher }, ctx);
  return tallies;
}

/** The issuing CA of a certificate: the next link of its (trusted or partial) path. */
function issuerLookup(paths: readonly PathResult[], bySha: ReadonlyMap<string, StoredCertificate>) {
  const next = new Map(paths.map((p) => [p.sha256, (p.trustedPath ?? p.partialPath)[1]]));
  return (sha256: string): { sha256: string; der: Buffer } | null => {
    const issuer = next.get(sha256);
    const c = issuer ? bySha.get(issuer) : undefined;
    return c ? { sha256: c.sha256, der: c.der } : null;
  };
}
