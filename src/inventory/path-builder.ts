// Path building from a certificate to a sanctioned trust anchor. Issuer candidates are found
// by subject name, compared as RFC 5280 §7.1 says (case and whitespace folded, PrintableString
// and UTF8String alike: normalisedNameKey), among the anchors and this run's
// certificates (served, imported, read from a directory, fetched over AIA during collection),
// never among earlier runs', so the same observations always give the same paths. Each link is
// a verified signature (node:crypto, i.e. OpenSSL, which also checks MD5, SHA-1, DSA and PSS
// signatures that WebCrypto refuses: weak links are still links, and other rules judge them).
// Only issuers are loaded into node's X509Certificate (their keys are needed); a child's
// signature is checked over its TBS bytes, so 100,000 leaves cost no key decoding of their own.
// A DSA key without parameters takes them from its issuer's key (RFC 3279 §2.3.2). Whether a
// relying party would accept the path is path-validation.ts's question, not this one's.
import { type KeyObject, X509Certificate as NodeCertificate, createPublicKey } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import type { PathResult } from "../model/types.js";
import { certificateNames, normalisedNameKey } from "../pki/der-names.js";
import { certificateSignedData, signatureAlgorithmSupported, verifySignature } from "../pki/signatures.js";
import type { TrustAnchorSet } from "./trust-anchors.js";

/** Longer paths than this are not followed (RFC 5280 sets no limit; real PKIs stay under 6). */
const MAX_PATH_LENGTH = 10;
/** Signature checks per path build: bounds the work a hostile set of look-alike CAs can cause. */
const MAX_VERIFICATIONS = 64;
const DSA = "1.2.840.10040.4.1";

export interface PathNode {
  sha256: string;
  der: Buffer;
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
  /**
   * Nodes by normalised subject name key, only those whose subject is some node's issuer: no
   * other node is ever an issuer candidate, and leaves (most of a large run) have unique subjects.
   */
  private readonly byName = new Map<string, PathNode[]>();
  /** sha256 of the nodes in byName. */
  private readonly candidates = new Set<string>();
  /** Normalised issuer name key of every node whose names can be read, by sha256; one string per distinct issuer. */
  private readonly issuerKeys = new Map<string, string>();
  private readonly nodeCerts = new Map<string, NodeCertificate | null>();
  /** Keys completed with inherited DSA parameters, by sha256 (null: none could be found). */
  private readonly inheritedKeys = new Map<string, KeyObject | null>();
  /** Verified links whose child is an issuer candidate: asked again by every path through it. */
  private readonly verified = new Map<string, boolean>();
  /** Links of the node being built that no other build asks for (it issues nothing): dropped after its build. */
  private startLinks = new Map<string, boolean>();
  /** Anchors that ended at least one trusted path. */
  readonly usedAnchors = new Set<string>();

  constructor(private readonly sources: PathBuilderSources) {
    this.anchorIds = new Set(sources.anchors.anchors.map((a) => a.sha256));
    const anchorNodes = sources.anchors.anchors.map((a): PathNode => ({ sha256: a.sha256, der: a.der, caIssuersUrls: [], selfIssued: true, subject: "", issuer: "" }));
    const named: { node: PathNode; subject: string }[] = [];
    const issuers = new Map<string, string>();
    for (const node of [...anchorNodes, ...sources.local]) {
      if (this.issuerKeys.has(node.sha256)) continue;
      const names = certificateNames(node.der);
      // A certificate whose names cannot be read has no issuer to find and issues nothing.
      if (!names) continue;
      // A Name with attributes §7.1 does not cover still matches its byte-identical twin.
      const subject = normalisedNameKey(names.subject) ?? `der:${names.subject.toString("hex")}`;
      const issuer = normalisedNameKey(names.issuer) ?? `der:${names.issuer.toString("hex")}`;
      if (!issuers.has(issuer)) issuers.set(issuer, issuer);
      this.issuerKeys.set(node.sha256, issuers.get(issuer)!);
      named.push({ node, subject });
    }
    for (const { node, subject } of named) {
      if (!issuers.has(subject)) continue;
      this.candidates.add(node.sha256);
      const list = this.byName.get(subject);
      if (list) list.push(node);
      else this.byName.set(subject, [node]);
    }
  }

  isAnchor(sha256: string): boolean {
    return this.anchorIds.has(sha256);
  }

  build(start: PathNode): PathResult {
    this.startLinks = new Map();
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

  /** Depth-first: returns the first path that reaches an anchor, recording the longest dead end. */
  private extend(path: PathNode[], search: Search): string[] | null {
    const current = path[path.length - 1]!;
    if (this.anchorIds.has(current.sha256)) return path.map((n) => n.sha256);
    if (path.length > search.best.length) search.best = path.map((n) => n.sha256);
    if (path.length >= MAX_PATH_LENGTH) {
      search.stopReason = `path longer than ${MAX_PATH_LENGTH} certificates`;
      return null;
    }
    const candidates = this.issuerCandidates(current).filter((issuer) => !path.some((n) => n.sha256 === issuer.sha256));
    let linked = false;
    for (const issuer of candidates) {
      if (search.verifications++ >= MAX_VERIFICATIONS) {
        search.stopReason = `gave up after ${MAX_VERIFICATIONS} signature checks`;
        return null;
      }
      if (!this.verifies(current, issuer)) continue;
      linked = true;
      const found = this.extend([...path, issuer], search);
      if (found) return found;
    }
    if (!linked && path.length === search.best.length) search.stopReason = this.deadEndReason(current, candidates.length);
    return null;
  }

  private deadEndReason(current: PathNode, candidates: number): string {
    const name = current.subject || current.sha256;
    if (current.selfIssued && this.verifies(current, current)) {
      return `self-signed certificate "${name}" is not a sanctioned trust anchor`;
    }
    if (candidates > 0) {
      const which = candidates === 1 ? "a certificate" : `${candidates} certificates`;
      return `issuer "${current.issuer}" of "${name}" found (${which} of that name), but its key does not verify the signature`;
    }
    const failures = current.caIssuersUrls.map((u) => this.sources.aiaFailures.get(u)).filter((e): e is string => !!e);
    const aia = failures.length > 0 ? `; AIA caIssuers fetch failed: ${failures.join("; ")}` : "";
    return `issuer "${current.issuer}" of "${name}" not found among served, known or fetched certificates${aia}`;
  }

  private issuerCandidates(child: PathNode): PathNode[] {
    const issuer = this.issuerKeys.get(child.sha256);
    const candidates = [...((issuer === undefined ? undefined : this.byName.get(issuer)) ?? [])];
    // Anchors first: a path should end at the sanctioned root, not at a served copy of it.
    return candidates.sort((a, b) => Number(this.anchorIds.has(b.sha256)) - Number(this.anchorIds.has(a.sha256)));
  }

  private verifies(child: PathNode, issuer: PathNode): boolean {
    const key = `${child.sha256}:${issuer.sha256}`;
    const links = this.candidates.has(child.sha256) ? this.verified : this.startLinks;
    let ok = links.get(key);
    if (ok === undefined) {
      // Set first: an inherited-parameter lookup that comes back to this link must not loop.
      links.set(key, false);
      const issuerKey = this.publicKey(issuer);
      ok = !!issuerKey && this.signedBy(child, issuerKey);
      links.set(key, ok);
    }
    return ok;
  }

  /**
   * Whether `issuerKey` signed `child`, as X509_verify judges it. The child is taken apart rather
   * than loaded into node's X509Certificate, which would decode its own key (most of the cost of a
   * link, and a key this link never uses); what verifySignature() cannot verify goes to X509_verify.
   */
  private signedBy(child: PathNode, issuerKey: KeyObject): boolean {
    const signed = certificateSignedData(child.der);
    if (signed && signatureAlgorithmSupported(signed.algorithmOid, signed.algorithmDer)) {
      return signed.algorithmsAgree && verifySignature(signed, issuerKey);
    }
    try {
      return this.nodeCertificate(child)?.verify(issuerKey) ?? false;
    } catch {
      return false;
    }
  }

  /** The key of a node, with DSA parameters inherited from its issuer's key when it has none. */
  private publicKey(node: PathNode): KeyObject | null {
    const cert = this.nodeCertificate(node);
    if (!cert) return null;
    try {
      return cert.publicKey;
    } catch {
      // OpenSSL cannot load a DSA key without its parameters: they are the issuer's.
    }
    if (this.inheritedKeys.has(node.sha256)) return this.inheritedKeys.get(node.sha256)!;
    this.inheritedKeys.set(node.sha256, null);
    const spki = AsnConvert.parse(node.der, Certificate).tbsCertificate.subjectPublicKeyInfo;
    if (spki.algorithm.algorithm !== DSA || spki.algorithm.parameters) return null;
    for (const issuer of this.issuerCandidates(node)) {
      if (issuer.sha256 === node.sha256 || !this.verifies(node, issuer)) continue;
      const issuerKey = this.publicKey(issuer);
      const parameters = issuerKey && AsnConvert.parse(issuerKey.export({ type: "spki", format: "der" }), SubjectPublicKeyInfo).algorithm.parameters;
      if (!parameters) continue;
      spki.algorithm.parameters = parameters;
      const key = createPublicKey({ key: Buffer.from(AsnConvert.serialize(spki)), format: "der", type: "spki" });
      this.inheritedKeys.set(node.sha256, key);
      return key;
    }
    return null;
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
