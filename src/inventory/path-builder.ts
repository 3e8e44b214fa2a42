// Path building from a certificate to a sanctioned trust anchor. Issuer candidates are found
// by exact subject-name match (hash of the Name DER) among the anchors and this run's
// certificates (served, imported, read from a directory, fetched over AIA during collection),
// never among earlier runs', so the same observations always give the same paths. Each link is
// a verified signature (node:crypto, i.e. OpenSSL, which also checks MD5, SHA-1, DSA and PSS
// signatures that WebCrypto refuses: weak links are still links, and other rules judge them).
import { X509Certificate as NodeCertificate } from "node:crypto";
import type { PathResult } from "../model/types.js";
import type { TrustAnchorSet } from "./trust-anchors.js";

/** Longer paths than this are not followed (RFC 5280 sets no limit; real PKIs stay under 6). */
const MAX_PATH_LENGTH = 10;
/** Signature checks per path build: bounds the work a hostile set of look-alike CAs can cause. */
const MAX_VERIFICATIONS = 64;

export interface PathNode {
  sha256: string;
  der: Buffer;
  subjectNameHash: string;
  issuerNameHash: string;
  caIssuersUrls: readonly string[];
  selfIssued: boolean;
  subject: string;
  issuer: string;
}

export interface PathBuilderSources {
  anchors: TrustAnchorSet;
  /** Parsed certificates of this run. */
  local: readonly PathNode[];
  /** AIA caIssuers URLs the run fetched without getting a certificate, and why (for dead-end reasons). */
  aiaFailures: ReadonlyMap<string, string>;
}

export class PathBuilder {
  private readonly anchorIds: Set<string>;
  private readonly byName = new Map<string, PathNode[]>();
  private readonly nodeCerts = new Map<string, NodeCertificate | null>();
  private readonly verified = new Map<string, boolean>();
  private readonly bySha = new Map<string, PathNode>();
  /** Anchors that ended at least one trusted path. */
  readonly usedAnchors = new Set<string>();

  constructor(private readonly sources: PathBuilderSources) {
    this.anchorIds = new Set(sources.anchors.anchors.map((a) => a.sha256));
    for (const a of sources.anchors.anchors) {
      this.add({
        sha256: a.sha256, der: a.der, subjectNameHash: a.subjectNameHash, issuerNameHash: a.subjectNameHash,
        caIssuersUrls: [], selfIssued: true, subject: "", issuer: "",
      });
    }
    for (const node of sources.local) this.add(node);
  }

  isAnchor(sha256: string): boolean {
    return this.anchorIds.has(sha256);
  }

  build(start: PathNode): PathResult {
    const selfSigned = start.selfIssued && this.verifies(start, start);
    const search: Search = { verifications: 0, best: [start.sha256], stopReason: null };
    const trusted = this.extend([start], search);
    if (trusted) this.usedAnchors.add(trusted[trusted.length - 1]!);
    return {
      sha256: start.sha256,
      trustedPath: trusted,
      partialPath: trusted ?? search.best,
      selfSigned,
      stopReason: trusted ? null : search.stopReason,
    };
  }

  private add(node: PathNode): void {
    if (this.bySha.has(node.sha256)) return;
    this.bySha.set(node.sha256, node);
    const list = this.byName.get(node.subjectNameHash);
    if (list) list.push(node);
    else this.byName.set(node.subjectNameHash, [node]);
  }

  /** Depth-first: returns the first path that reaches an anchor, recording the longest dead end. */
  private extend(path: PathNode[], search: Search): string[] | null {
    const current = path[path.length - 1]!;
    if (this.anchorIds.has(current.sha256)) return path.map((n) => n.sha256);
    if (path.length > search.best.length) search.best = path.map((n) => n.sha256);
    if (path.length >= MAX_PATH_LENGTH) {
      search.stopReason = `path longer than ${MAX_PATH_LENGTH} certificates`;
      return null;
    }
    const candidates = this.issuerCandidates(current);
    let linked = false;
    for (const issuer of candidates) {
      if (path.some((n) => n.sha256 === issuer.sha256)) continue;
      if (search.verifications++ >= MAX_VERIFICATIONS) {
        search.stopReason = `gave up after ${MAX_VERIFICATIONS} signature checks`;
        return null;
      }
      if (!this.verifies(current, issuer)) continue;
      linked = true;
      const found = this.extend([...path, issuer], search);
      if (found) return found;
    }
    if (!linked && path.length === search.best.length) search.stopReason = this.deadEndReason(current);
    return null;
  }

  private deadEndReason(current: PathNode): string {
    const name = current.subject || current.sha256;
    if (current.selfIssued && this.verifies(current, current)) {
      return `self-signed certificate "${name}" is not a sanctioned trust anchor`;
    }
    const failures = current.caIssuersUrls.map((u) => this.sources.aiaFailures.get(u)).filter((e): e is string => !!e);
    const aia = failures.length > 0 ? `; AIA caIssuers fetch failed: ${failures.join("; ")}` : "";
    return `issuer "${current.issuer}" of "${name}" not found among served, known or fetched certificates${aia}`;
  }

  private issuerCandidates(child: PathNode): PathNode[] {
    const candidates = [...(this.byName.get(child.issuerNameHash) ?? [])];
    // Anchors first: a path should end at the sanctioned root, not at a served copy of it.
    return candidates.sort((a, b) => Number(this.anchorIds.has(b.sha256)) - Number(this.anchorIds.has(a.sha256)));
  }

  private verifies(child: PathNode, issuer: PathNode): boolean {
    const key = `${child.sha256}:${issuer.sha256}`;
    let ok = this.verified.get(key);
    if (ok === undefined) {
      const childCert = this.nodeCertificate(child);
      const issuerCert = this.nodeCertificate(issuer);
      try {
        ok = !!childCert && !!issuerCert && childCert.verify(issuerCert.publicKey);
      } catch {
        ok = false;
      }
      this.verified.set(key, ok);
    }
    return ok;
  }

  private nodeCertificate(node: PathNode): NodeCertificate | null {
    let cert = this.nodeCerts.get(node.sha256);
    if (cert === undefined) {
      try {
        cert = new NodeCertificate(node.der);
      } catch {
        cert = null;
      }
      this.nodeCerts.set(node.sha256, cert);
    }
    return cert;
  }
}

interface Search {
  verifications: number;
  best: string[];
  stopReason: string | null;
}
