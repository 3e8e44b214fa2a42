// The analysis of a run: from its observations alone (read once) and the sanctioned anchors,
// build a path for every parsed certificate, judge every CRL and OCSP answer, validate every
// trusted path as a relying party would, and name the anchors used. It fetches nothing and writes nothing: whatever it needs was collected, so the
// same observations always give the same analysis, whatever else the store holds.
import type { SightingRow, RunAnalysis, RunObservations, StoredCertificate } from "../store/store.js";
import type { PathResult } from "../model/types.js";
import { groupBy } from "../collections.js";
import { storedCertificate } from "../observations/recorder.js";
import { type PathNode, PathBuilder } from "./path-builder.js";
import { PathValidator } from "./path-validation.js";
import { type SignerCandidate, judgeRevocation } from "./revocation.js";
import type { TrustAnchorSet } from "./trust-anchors.js";

export interface AnalysisProduct extends RunAnalysis {
  /** Roots of the default store that paths end at: they join the run as "anchor" sightings. */
  anchorCertificates: StoredCertificate[];
  anchorSightings: SightingRow[];
}

export async function analyseRun(
  observations: RunObservations,
  trust: TrustAnchorSet,
  options: {
    checkStaples: boolean;
    /** The one moment every time-dependent judgement (paths, CRLs, OCSP answers) is made at: now, or --at. */
    now: Date;
  },
): Promise<AnalysisProduct> {
  const parsed = observations.certificates.filter((c): c is StoredCertificate & { record: NonNullable<StoredCertificate["record"]> } => c.record !== null);
  const local = parsed.flatMap((c) => nodeOf(c) ?? []);
  const aiaFailures = new Map<string, string>();
  for (const f of observations.fetches) if (f.kind === "aia" && f.fetch.error) aiaFailures.set(f.fetch.url, f.fetch.error);

  const builder = new PathBuilder({ anchors: trust, local, aiaFailures });
  const paths = new Map<string, PathResult>();
  for (const node of local) paths.set(node.sha256, builder.build(node));

  const anchors = trust.explicit ? trust.anchors.map((a) => a.sha256) : [...builder.usedAnchors].sort();
  for (const id of anchors) {
    if (!paths.has(id)) paths.set(id, { sha256: id, trustedPath: [id], partialPath: [id], selfSigned: true, stopReason: null });
  }
  const inRun = new Set(observations.certificates.map((c) => c.sha256));
  const anchorCertificates = trust.anchors.filter((a) => anchors.includes(a.sha256) && !inRun.has(a.sha256)).map((a) => storedCertificate(a.der, a.sha256));
  // Default-store roots join the run when it started, whatever moment it is judged at.
  const observedAt = observations.run.startedAt;
  const anchorSightings: SightingRow[] = anchorCertificates.map((c) => ({
    sha256: c.sha256, source: "anchor", location: trust.source, position: null, observedAt, error: c.parseError,
  }));

  // Every certificate that may sign a CRL or an OCSP answer, once each: the run's, then the anchors.
  const der = new Map<string, Buffer>();
  const candidates: SignerCandidate[] = [];
  for (const c of [...parsed.flatMap((p) => (p.subjectNameHash ? [{ sha256: p.sha256, der: p.der, subjectNameHash: p.subjectNameHash }] : [])), ...trust.anchors]) {
    if (der.has(c.sha256)) continue;
    der.set(c.sha256, c.der);
    candidates.push(c);
  }
  const signers = groupBy(candidates, (c) => c.subjectNameHash);
  const revocation = await judgeRevocation({
    observations, certificates: parsed, signers, derOf: (id) => der.get(id) ?? null,
    paths: [...paths.values()], checkStaples: options.checkStaples, now: options.now,
  });
  // Every trusted path as a relying party would judge it, revocation included, at the analysis' clock.
  const validator = new PathValidator({ at: options.now, crls: revocation.crls, ocsp: revocation.ocsp, derOf: (id) => der.get(id) ?? null });
  for (const path of paths.values()) if (path.trustedPath) path.validation = validator.validate(path.trustedPath);

  return {
    paths: [...paths.values()].sort((a, b) => a.sha256.localeCompare(b.sha256)),
    anchors,
    crls: revocation.crls,
    ocsp: revocation.ocsp,
    anchorCertificates,
    anchorSightings,
  };
}

function nodeOf(c: StoredCertificate): PathNode | null {
  if (!c.record) return null;
  return {
    sha256: c.sha256, der: c.der, caIssuersUrls: c.record.caIssuersUrls, selfIssued: c.record.selfIssued, subject: c.record.subject, issuer: c.record.issuer,
  };
}
