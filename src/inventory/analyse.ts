// The inventory stage after collection: builds a path for every parsed certificate of the run
// (fetching AIA caIssuers where the chain is short), records fetched issuers and the anchors
// used, and returns the paths. Its input is the store, never a collector.
import type { Logger } from "../log.js";
import type { UrlFetcher } from "../net/fetcher.js";
import type { PathResult } from "../model/types.js";
import type { Store, StoredCertificate } from "../store/store.js";
import { fetchCaIssuers } from "../pki/aia-body.js";
import { type ParsedCertificate, parseCertificate } from "../pki/certificate.js";
import { type PathNode, PathBuilder } from "./path-builder.js";
import type { ObservationRecorder } from "../observations/recorder.js";
import type { TrustAnchorSet } from "./trust-anchors.js";


export interface PathAnalysis {
  paths: PathResult[];
  aiaFetches: { url: string; error: string | null }[];
}

export async function analysePaths(
  store: Store,
  runId: string,
  recorder: ObservationRecorder,
  anchors: TrustAnchorSet,
  /** Fetches AIA caIssuers URLs; null when the scan must not leave its target list. */
  fetcher: UrlFetcher | null,
  log: Logger,
): Promise<PathAnalysis> {
  await recorder.flush();
  const contents = await store.loadRun(runId);
  const local = contents.certificates.flatMap((c) => {
    const node = nodeFromStored(c);
    return node ? [node] : [];
  });
  const fetchedNodes: PathNode[] = [];
  const builder = new PathBuilder({
    anchors,
    local,
    stored: async (nameHash) =>
      (await store.caCertificatesBySubject(nameHash)).flatMap((c) => nodeFromStored(c) ?? []),
    fetchIssuers: fetcher
      ? async (url) => {
          const result = await fetchCaIssuers(fetcher, url);
          if (!result.ok) {
            log.debug(`AIA fetch ${url} failed: ${result.error}`);
            return { result, nodes: [] };
          }
          const observedAt = new Date().toISOString();
          const nodes: PathNode[] = [];
          for (const der of result.certificates) {
            const parsed = tryParse(der);
            await recorder.addSighting({ der, source: "aia", location: url, position: null, observedAt }, parsed ?? undefined);
            if (parsed) nodes.push(nodeFromParsed(der, parsed));
          }
          fetchedNodes.push(...nodes);
          return { result, nodes };
        }
      : null,
  });

  const paths = new Map<string, PathResult>();
  for (const node of local) paths.set(node.sha256, await builder.build(node));
  // Issuers fetched over AIA are inventory too: give them paths of their own.
  for (const node of fetchedNodes) if (!paths.has(node.sha256)) paths.set(node.sha256, await builder.build(node));

  const anchorIds = anchors.explicit ? anchors.anchors.map((a) => a.sha256) : [...builder.usedAnchors];
  if (!anchors.explicit) {
    // The default root store enters the inventory only where a path ends at one of its roots.
    const observedAt = new Date().toISOString();
    for (const a of anchors.anchors) {
      if (builder.usedAnchors.has(a.sha256)) {
        await recorder.addSighting({ der: a.der, source: "anchor", location: anchors.source, position: null, observedAt });
      }
    }
  }
  for (const id of anchorIds) {
    if (!paths.has(id)) paths.set(id, { sha256: id, trustedPath: [id], partialPath: [id], selfSigned: true, stopReason: null });
  }
  await recorder.flush();
  await store.saveAnchors(runId, anchorIds);
  return {
    paths: [...paths.values()],
    aiaFetches: [...builder.aiaFetches.entries()].map(([url, error]) => ({ url, error })),
  };
}

function tryParse(der: Buffer): ParsedCertificate | null {
  try {
    return parseCertificate(der);
  } catch {
    return null;
  }
}

function nodeFromStored(c: StoredCertificate): PathNode | null {
  if (!c.record || !c.subjectNameHash || !c.issuerNameHash) return null;
  return {
    sha256: c.sha256, der: c.der, subjectNameHash: c.subjectNameHash, issuerNameHash: c.issuerNameHash,
    caIssuersUrls: c.record.caIssuersUrls, selfIssued: c.record.selfIssued, subject: c.record.subject, issuer: c.record.issuer,
  };
}

function nodeFromParsed(der: Buffer, p: ParsedCertificate): PathNode {
  return nodeFromStored({
    sha256: p.record.sha256, der, record: p.record, parseError: null,
    subjectNameHash: p.subjectNameHash, issuerNameHash: p.issuerNameHash,
  })!;
}
