// Collection passes after the first: targets the first pass discovered. Issuers named by AIA
// caIssuers URLs of certificates whose issuer the run has not seen (repeated, since a fetched
// intermediate may name its own), then CRL distribution points and OCSP responders named in
// the run's certificates. Each pass plans from what the store holds for this run (never from
// earlier runs) and hands the targets to a collector; judging what comes back is the analysis'.
import { X509Certificate } from "node:crypto";
import { type CrlTarget, crlCollector } from "../../collectors/crl/index.js";
import { aiaCollector } from "../../collectors/aia/index.js";
import type { CollectorContext, CollectorTally } from "../../collectors/collector.js";
import { type OcspQuery, ocspCollector } from "../../collectors/ocsp/index.js";
import { findPublishedCrl, publishedCrls } from "../inventory/adcs/published-crls.js";
import type { TrustAnchorSet } from "../inventory/trust-anchors.js";
import type { UrlFetcher } from "../net/fetcher.js";
import { groupBy } from "../collections.js";
import type { ObservationRecorder } from "../observations/recorder.js";
import type { CertificateLead, Store } from "../store/store.js";
import type { RevocationPlan } from "./defaults.js";

/** A fetched issuer may itself need one: as many rounds as a path may be long. */
const MAX_AIA_ROUNDS = 10;

export interface FollowUpContext extends CollectorContext {
  recorder: ObservationRecorder;
  store: Store;
  runId: string;
  trust: TrustAnchorSet;
}

/** AIA rounds: fetch caIssuers of certificates whose issuer name is neither in the run nor an anchor. */
export async function collectIssuers(fetcher: UrlFetcher, ctx: FollowUpContext): Promise<CollectorTally> {
  const tally: CollectorTally = {};
  const fetched = new Set<string>();
  const anchorIds = new Set(ctx.trust.anchors.map((a) => a.sha256));
  for (let round = 0; round < MAX_AIA_ROUNDS && !ctx.signal.aborted; round++) {
    await ctx.recorder.flush();
    const leads = await ctx.store.certificateLeads(ctx.runId);
    const subjects = new Set([...leads.map((l) => l.subjectNameHash), ...ctx.trust.anchors.map((a) => a.subjectNameHash)]);
    const urls = [...new Set(
      leads
        .filter((l) => !l.selfIssued && !anchorIds.has(l.sha256) && !subjects.has(l.issuerNameHash))
        .flatMap((l) => l.caIssuersUrls)
        .filter((url) => !fetched.has(url)),
    )];
    if (urls.length === 0) break;
    for (const url of urls) fetched.add(url);
    addTally(tally, await aiaCollector.collect({ urls, fetcher }, ctx));
  }
  return tally;
}

/** CRLs (certificates' distribution points, --crl-url, --crl-file) and OCSP responders of served leaves. */
export async function collectRevocation(
  plan: RevocationPlan,
  fetcher: UrlFetcher | null,
  ctx: FollowUpContext,
): Promise<Record<string, CollectorTally>> {
  if (!plan.enabled && plan.crlUrls.length + plan.crlFiles.length === 0) return {};
  await ctx.recorder.flush();
  const leads = await ctx.store.certificateLeads(ctx.runId);
  const targets = new Map<string, CrlTarget>();
  if (plan.enabled) for (const l of leads) for (const url of l.crlDistributionPoints) if (!targets.has(url)) targets.set(url, { url, source: "cdp" });
  for (const url of plan.crlUrls) if (!targets.has(url)) targets.set(url, { url, source: "cli" });
  // CRLs the AD CS collector read from CN=CDP answer the ldap:/// URLs AD CS certificates name.
  const published = publishedCrls(await ctx.store.snapshots(ctx.runId));
  if (published.length > 0) {
    for (const target of targets.values()) {
      const crl = findPublishedCrl(published, target.url);
      if (crl) target.published = Buffer.from(crl.derBase64, "base64");
    }
  }
  const tallies: Record<string, CollectorTally> = {};
  if (targets.size > 0 || plan.crlFiles.length > 0) {
    tallies.crl = await crlCollector.collect({ targets: [...targets.values()], files: plan.crlFiles, fetcher }, ctx);
  }
  if (!plan.enabled) return tallies;
  const queries = await ocspQueries(leads, ctx);
  if (queries.length > 0) tallies.ocsp = await ocspCollector.collect({ queries, fetcher }, ctx);
  return tallies;
}

/** One query per served leaf and OCSP URL, with the issuing CA: the anchor or run certificate that signed it. */
async function ocspQueries(leads: readonly CertificateLead[], ctx: FollowUpContext): Promise<OcspQuery[]> {
  const leaves = leads.filter((l) => l.servedAsLeaf && l.ocspUrls.length > 0);
  if (leaves.length === 0) return [];
  const wantedIssuers = new Set(leaves.map((l) => l.issuerNameHash));
  const runCandidates = leads.filter((l) => wantedIssuers.has(l.subjectNameHash));
  const der = new Map((await ctx.store.certificates([...leaves, ...runCandidates].map((l) => l.sha256))).map((c) => [c.sha256, c.der]));
  // Anchors first, as path building prefers them.
  const candidatesBy = groupBy(
    [
      ...ctx.trust.anchors.filter((a) => wantedIssuers.has(a.subjectNameHash)),
      ...runCandidates.flatMap((c) => {
        const body = der.get(c.sha256);
        return body ? [{ sha256: c.sha256, der: body, subjectNameHash: c.subjectNameHash }] : [];
      }),
    ],
    (c) => c.subjectNameHash,
  );
  return leaves.flatMap((leaf) => {
    const leafDer = der.get(leaf.sha256);
    if (!leafDer) return [];
    const issuer = (candidatesBy.get(leaf.issuerNameHash) ?? []).find((c) => c.sha256 !== leaf.sha256 && signedBy(leafDer, c.der)) ?? null;
    return leaf.ocspUrls.map((url) => ({ url, sha256: leaf.sha256, der: leafDer, issuer }));
  });
}

function signedBy(childDer: Buffer, issuerDer: Buffer): boolean {
  try {
    return new X509Certificate(childDer).verify(new X509Certificate(issuerDer).publicKey);
  } catch {
    return false;
  }
}

function addTally(into: CollectorTally, more: CollectorTally): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}
