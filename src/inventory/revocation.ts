// Revocation judgements, derived in one place from what the collectors stored: which CA signed
// each CRL, which of the run's certificates it decides (RFC 5280 §6.3.3: scope, reasons, delta
// over complete) and what it revokes among them, and whether each OCSP answer (fetched or
// stapled) can be trusted. A CRL is usable only when a certificate of the CA it names verifies
// it, may sign CRLs (keyUsage cRLSign) and is not itself revoked: a forged CRL must never raise a
// finding on a healthy certificate. Freshness is the view's (revocation-facts.ts), judged at its time.
import { groupBy } from "../collections.js";
import type { CrlFetch, CrlObservation, CrlRevocation, OcspExchange, OcspObservation, OcspTransport } from "../model/revocation.js";
import type { PathResult } from "../model/types.js";
import {
  type CertificateRevocationFields, type CrlInfo, type NameKey, REASON_FLAGS, type ReasonFlag,
  certificateRevocationFields, directoryNameKey, distributionPointNames, readCrl, verifyCrlSignature,
} from "../pki/crl.js";
import { certificateNames } from "../pki/der-names.js";
import type { OcspResult } from "../pki/ocsp.js";
import { certificatePublicKey } from "../pki/signatures.js";
import type { RunObservations, StoredCertificate } from "../store/store.js";
type Parsed = StoredCertificate & { record: NonNullable<StoredCertificate["record"]> };

/** A certificate that may have signed something: the run's and the sanctioned anchors. */
export interface SignerCandidate {
  sha256: string;
  der: Buffer;
  subjectNameHash: string;
}

export interface RevocationInput {
  observations: Pick<RunObservations, "fetches" | "crlBodies" | "endpoints">;
  certificates: readonly Parsed[];
  /** Every certificate that may sign a CRL or OCSP response, by subject name hash (run and anchors). */
  signers: ReadonlyMap<string, readonly SignerCandidate[]>;
  /** By sha256: DER of any certificate a judgement may need (run and anchors). */
  derOf(sha256: string): Buffer | null;
  paths: readonly PathResult[];
  /** Staples are judged only when the run checked revocation (--no-revocation turns them off too). */
  checkStaples: boolean;
  now: Date;
}

export async function judgeRevocation(input: RevocationInput): Promise<{ crls: CrlObservation[]; ocsp: OcspObservation[] }> {
  const crls = judgeCrls(input);
  const exchanges = input.observations.fetches.flatMap((f) => (f.kind === "ocsp" ? [f.fetch] : []));
  const staples = input.checkStaples ? stapledResponses(input) : [];
  const needsParser = exchanges.some((e) => e.response !== null) || staples.length > 0;
  // pkijs is loaded only when there is an OCSP response to read (it costs ~70 ms at start-up).
  const parse = needsParser ? (await import("../pki/ocsp.js")).parseOcspResponse : null;
  const ocsp: OcspObservation[] = [];
  for (const staple of staples) {
    const result = parse!(staple.response, { certificateDer: staple.der, issuerDer: staple.issuerDer, now: input.now });
    ocsp.push(ocspObservation(
      { url: null, source: "staple", endpoint: staple.endpoint, certificate: staple.certificate, issuer: staple.issuer, fetchedAt: staple.observedAt, latencyMs: 0, httpStatus: null, error: null, skipped: null },
      result,
    ));
  }
  for (const exchange of exchanges) ocsp.push(judgeExchange(exchange, input, parse));
  return { crls, ocsp };
}

/** A certificate as CRLs judge it: its record and what its DER says about serial sign, distribution points and CRL signing. */
interface Judged {
  certificate: Parsed;
  fields: CertificateRevocationFields | null;
}

/** A CRL read, before its usability and coverage are settled. */
interface ReadCrl {
  fetch: CrlFetch;
  info: CrlInfo;
  observation: CrlObservation;
  /** The certificate whose key verified it, and the reasons it is unusable. */
  signer: string | null;
  /** Candidates in scope, with the reasons each is covered for. */
  scope: Map<string, ReasonFlag[]>;
}

const ALL_REASONS: readonly ReasonFlag[] = REASON_FLAGS;
/** Passes over "a CRL's signer is revoked": each can make another CRL unusable; paths are short. */
const MAX_SIGNER_PASSES = 10;

function judgeCrls(input: RevocationInput): CrlObservation[] {
  const fetches = input.observations.fetches.flatMap((f) => (f.kind === "crl" ? [f.fetch] : []));
  if (fetches.length === 0) return [];
  // Indexed once for all CRLs: which certificates name each CDP, and which each CA issued.
  const byCdp = new Map([...groupBy(
    input.certificates.flatMap((c) => c.record.crlDistributionPoints.map((url) => ({ url, sha256: c.sha256 }))),
    (naming) => naming.url,
  )].map(([url, namings]) => [url, namings.map((n) => n.sha256)]));
  const fieldsCache = new Map<string, CertificateRevocationFields | null>();
  const judged = (c: Parsed): Judged => {
    if (!fieldsCache.has(c.sha256)) {
      let fields: CertificateRevocationFields | null = null;
      try {
        fields = certificateRevocationFields(c.der);
      } catch {
        // A certificate this walker cannot read is judged by no CRL (its status stays unknown).
      }
      fieldsCache.set(c.sha256, fields);
    }
    return { certificate: c, fields: fieldsCache.get(c.sha256)! };
  };
  // By issuer name as RFC 5280 7.1 compares names: each distinct encoding normalised once.
  const byIssuerName = new Map<NameKey, Parsed[]>();
  for (const group of groupBy(input.certificates, (c) => c.issuerNameHash).values()) {
    const readable = group.find((c) => judged(c).fields !== null);
    if (!readable) continue;
    const key = directoryNameKey(judged(readable).fields!.issuerNameDer);
    byIssuerName.set(key, [...(byIssuerName.get(key) ?? []), ...group]);
  }
  const signers = new Map<NameKey, SignerCandidate[]>();
  for (const group of input.signers.values()) {
    const subject = certificateNames(group[0]!.der)?.subject;
    if (!subject) continue;
    const key = directoryNameKey(subject);
    signers.set(key, [...(signers.get(key) ?? []), ...group]);
  }
  // Certificates naming a cRLIssuer: the only ones an indirect CRL of another issuer covers. Read
  // only when the run has an indirect CRL, since it means reading every certificate's DER.
  let byCrlIssuer: Map<NameKey, { key: NameKey; certificate: Parsed }[]> | null = null;
  const namingCrlIssuer = (key: NameKey): Parsed[] => {
    byCrlIssuer ??= groupBy(
      input.certificates.flatMap((certificate) =>
        [...new Set(judged(certificate).fields?.distributionPoints?.flatMap((dp) => dp.crlIssuer ?? []) ?? [])].map((k) => ({ key: k, certificate }))),
      (e) => e.key,
    );
    return (byCrlIssuer.get(key) ?? []).map((e) => e.certificate);
  };
  const paths = new Map(input.paths.map((p) => [p.sha256, p]));
  const context: CrlContext = { input, judged, paths, byCdp, byIssuerName, signers, namingCrlIssuer };
  const read = fetches.map((fetch) => readOne(fetch, context));
  settleDeltas(read);
  settleRevokedSigners(read);
  return read.map((r) => ("info" in r ? r.observation : r));
}

interface CrlContext {
  input: RevocationInput;
  judged(c: Parsed): Judged;
  paths: ReadonlyMap<string, PathResult>;
  byCdp: ReadonlyMap<string, string[]>;
  byIssuerName: ReadonlyMap<NameKey, Parsed[]>;
  signers: ReadonlyMap<NameKey, readonly SignerCandidate[]>;
  namingCrlIssuer(key: NameKey): Parsed[];
}

function readOne(fetch: CrlFetch, ctx: CrlContext): ReadCrl | CrlObservation {
  const certificates = fetch.source === "cdp" ? [...new Set(ctx.byCdp.get(fetch.url) ?? [])] : [];
  const unread: CrlObservation = { ...fetch, signature: { status: "issuer-unknown", issuer: null }, certificates, revoked: [], covers: [], problems: [] };
  const body = fetch.crl ? ctx.input.observations.crlBodies.get(fetch.crl.sha256) : undefined;
  if (!fetch.crl || !body) return unread;
  let info: CrlInfo;
  try {
    info = readCrl(body);
  } catch {
    return unread;
  }
  const crlIssuer = directoryNameKey(info.issuerNameDer);
  const idp = info.issuingDistributionPoint;
  // Its candidates: certificates of the CA it names and, for an indirect CRL, those naming it as their cRLIssuer.
  const candidates = [...new Map([
    ...(ctx.byIssuerName.get(crlIssuer) ?? []),
    ...(idp?.indirect ? ctx.namingCrlIssuer(crlIssuer) : []),
  ].map((c) => [c.sha256, ctx.judged(c)])).values()];
  try {
    info = readCrl(body, new Set(candidates.flatMap((j) => (j.fields ? [j.fields.serial] : []))));
  } catch {
    return unread;
  }
  const problems: string[] = [];
  const signature = checkSignature(info, ctx);
  if (signature.status === "valid" && signature.mayCrlSign === false) problems.push("signed by a certificate whose keyUsage does not allow CRL signing (cRLSign)");
  if (info.unhandledCriticalExtensions.length > 0) problems.push(`critical extensions not interpreted: ${info.unhandledCriticalExtensions.join(", ")}`);
  const entryExtensions = [...new Set(info.matches.flatMap((m) => m.unhandledCriticalExtensions))];
  // RFC 5280 5.3: a critical entry extension the reader cannot process makes the whole CRL unusable.
  if (entryExtensions.length > 0) problems.push(`critical entry extensions not interpreted: ${entryExtensions.join(", ")}`);
  if (idp?.onlyAttributeCerts) problems.push("covers attribute certificates only");
  const observation: CrlObservation = {
    ...fetch, signature: { status: signature.status, issuer: signature.issuer }, certificates, revoked: [], covers: [], problems,
  };
  const usable = signature.status === "valid" && problems.length === 0;
  const scope = new Map<string, ReasonFlag[]>();
  if (usable) {
    for (const j of candidates) {
      const reasons = scopeReasons(j, info);
      if (reasons !== null && reasons.length > 0) scope.set(j.certificate.sha256, reasons);
    }
    observation.revoked = candidates.flatMap((j) => {
      if (!j.fields || !scope.has(j.certificate.sha256)) return [];
      const certificateIssuer = directoryNameKey(j.fields.issuerNameDer);
      const entry = info.matches.find((m) => m.serial === j.fields!.serial && m.negative === j.fields!.negative
        && (m.certificateIssuer ?? [crlIssuer]).includes(certificateIssuer));
      // removeFromCRL only appears in delta CRLs, where it takes a certificate off hold: not a revocation.
      if (!entry || entry.reason === "removeFromCRL") return [];
      return [{ certificate: j.certificate.sha256, serial: j.fields.serial, revocationDate: entry.revocationDate, reason: entry.reason }];
    });
    if (info.deltaCrlIndicator !== null) {
      observation.released = candidates.flatMap((j) => (j.fields && scope.has(j.certificate.sha256) && info.matches.some((m) =>
        m.reason === "removeFromCRL" && m.serial === j.fields!.serial && m.negative === j.fields!.negative) ? [j.certificate.sha256] : []));
    }
  }
  return { fetch, info, observation, signer: signature.issuer, scope };
}

/**
 * The reasons for which `crl` decides the status of certificate `j` (RFC 5280 6.3.3 b, d), or
 * null when it is out of scope: the CRL issuer must be the certificate's (or the cRLIssuer its
 * distribution point names, in an indirect CRL), the issuing distribution point's name must be
 * one the certificate's distribution point gives, and its onlyContains flags must fit.
 */
function scopeReasons(j: Judged, crl: CrlInfo): ReasonFlag[] | null {
  const idp = crl.issuingDistributionPoint;
  if (!j.fields) return null;
  if (idp && ((idp.onlyUserCerts && j.certificate.record.isCA) || (idp.onlyCaCerts && !j.certificate.record.isCA))) return null;
  const crlIssuer = directoryNameKey(crl.issuerNameDer);
  const ownIssuer = directoryNameKey(j.fields.issuerNameDer) === crlIssuer;
  const idpNames = idp?.name ? new Set(distributionPointNames(idp.name, crl.issuerNameDer)) : null;
  const crlReasons = idp?.onlySomeReasons ?? ALL_REASONS;
  const points = j.fields.distributionPoints;
  // No distribution points: only a CRL of its own issuer that names no distribution point covers it.
  if (points === null || points.length === 0) return ownIssuer && idpNames === null ? [...crlReasons] : null;
  const covered = new Set<ReasonFlag>();
  for (const dp of points) {
    const authority = dp.crlIssuer ? dp.crlIssuer.includes(crlIssuer) && !!idp?.indirect : ownIssuer;
    if (!authority) continue;
    if (idpNames !== null) {
      const names = dp.name ? distributionPointNames(dp.name, dp.crlIssuer ? crl.issuerNameDer : j.fields.issuerNameDer) : dp.crlIssuer ?? [];
      if (!names.some((n) => idpNames.has(n))) continue;
    }
    for (const reason of crlReasons) if (!dp.reasons || dp.reasons.includes(reason)) covered.add(reason);
  }
  return covered.size === 0 ? null : ALL_REASONS.filter((r) => covered.has(r));
}

/** A delta CRL decides only over a usable complete CRL of the same issuer and scope, numbered at least its base. */
function settleDeltas(read: readonly (ReadCrl | CrlObservation)[]): void {
  const crls = read.filter((r): r is ReadCrl => "info" in r);
  const completes = crls.filter((r) => r.info.deltaCrlIndicator === null && r.info.crlNumber !== null && r.scope.size > 0);
  for (const delta of crls) {
    if (delta.info.deltaCrlIndicator === null || delta.scope.size === 0) {
      finish(delta);
      continue;
    }
    const base = BigInt(`0x${delta.info.deltaCrlIndicator}`);
    const complete = completes
      .filter((c) => directoryNameKey(c.info.issuerNameDer) === directoryNameKey(delta.info.issuerNameDer) && c.info.issuingDistributionPoint?.der === delta.info.issuingDistributionPoint?.der
        && BigInt(`0x${c.info.crlNumber!}`) >= base)
      .sort((a, b) => (BigInt(`0x${b.info.crlNumber!}`) > BigInt(`0x${a.info.crlNumber!}`) ? 1 : -1))[0];
    delta.observation.deltaOf = complete?.fetch.url ?? null;
    if (!complete) {
      delta.observation.problems!.push(`delta CRL without its complete CRL (base CRL number ${base} or later)`);
      delta.scope.clear();
      delta.observation.revoked = [];
      delta.observation.released = [];
    } else {
      for (const id of delta.scope.keys()) if (!complete.scope.has(id)) delta.scope.delete(id);
    }
    finish(delta);
  }
}

/** Writes the scope into the observation: full coverage, or the reasons covered. */
function finish(r: ReadCrl): void {
  r.observation.covers = [...r.scope].filter(([, reasons]) => reasons.length === ALL_REASONS.length).map(([id]) => id).sort();
  const partial = [...r.scope].filter(([, reasons]) => reasons.length < ALL_REASONS.length);
  if (partial.length > 0) r.observation.coversReasons = partial.map(([certificate, reasons]) => ({ certificate, reasons }));
}

/** A CRL signed by a revoked certificate decides nothing (RFC 5280 6.3.3 f: its signer's path must be valid). */
function settleRevokedSigners(read: readonly (ReadCrl | CrlObservation)[]): void {
  const crls = read.filter((r): r is ReadCrl => "info" in r);
  for (let pass = 0; pass < MAX_SIGNER_PASSES; pass++) {
    const revoked = new Map(crls.flatMap((r) => r.observation.revoked.map((e): [string, CrlRevocation] => [e.certificate, e])));
    const hit = crls.filter((r) => r.signer !== null && revoked.has(r.signer) && r.scope.size > 0);
    if (hit.length === 0) return;
    for (const r of hit) {
      r.observation.problems!.push("signed by a certificate that is itself revoked");
      r.scope.clear();
      r.observation.revoked = [];
      r.observation.released = r.observation.released && [];
      finish(r);
    }
  }
}

function checkSignature(crl: CrlInfo, ctx: CrlContext): { status: CrlObservation["signature"]["status"]; issuer: string | null; mayCrlSign: boolean | null } {
  const candidates = ctx.signers.get(directoryNameKey(crl.issuerNameDer)) ?? [];
  if (candidates.length === 0) return { status: "issuer-unknown", issuer: null, mayCrlSign: null };
  let verified: { issuer: string; mayCrlSign: boolean } | null = null;
  for (const candidate of candidates) {
    const path = ctx.paths.get(candidate.sha256);
    const above = (path?.trustedPath ?? path?.partialPath ?? []).slice(1).flatMap((id) => ctx.input.derOf(id) ?? []);
    const key = certificatePublicKey(candidate.der, above);
    if (!key || !verifyCrlSignature(crl, key)) continue;
    let mayCrlSign = false;
    try {
      mayCrlSign = certificateRevocationFields(candidate.der).mayCrlSign;
    } catch {
      // Unreadable extensions: not a certificate to trust for CRL signing.
    }
    // Several certificates may share the CA's name (a separate CRL-signing key): one allowed to sign CRLs wins.
    if (mayCrlSign) return { status: "valid", issuer: candidate.sha256, mayCrlSign };
    verified ??= { issuer: candidate.sha256, mayCrlSign };
  }
  return verified ? { status: "valid", ...verified } : { status: "invalid", issuer: null, mayCrlSign: null };
}

interface Staple {
  endpoint: string;
  certificate: string;
  der: Buffer;
  issuer: string;
  issuerDer: Buffer;
  response: Buffer;
  observedAt: string;
}

/** Staples whose leaf and issuing CA (the next link of its path) are known. */
function stapledResponses(input: RevocationInput): Staple[] {
  const next = new Map(input.paths.map((p) => [p.sha256, (p.trustedPath ?? p.partialPath)[1]]));
  return input.observations.endpoints.flatMap((e) => {
    const leaf = e.chain[0];
    const issuer = leaf ? next.get(leaf) : undefined;
    const der = leaf ? input.derOf(leaf) : null;
    const issuerDer = issuer ? input.derOf(issuer) : null;
    if (!e.stapledOcsp || !leaf || !issuer || !der || !issuerDer) return [];
    return [{ endpoint: e.id, certificate: leaf, der, issuer, issuerDer, response: e.stapledOcsp, observedAt: e.observedAt }];
  });
}

function judgeExchange(
  exchange: OcspExchange,
  input: RevocationInput,
  parse: ((der: Buffer, context: { certificateDer: Buffer; issuerDer: Buffer; nonce?: Buffer | null; now?: Date }) => OcspResult) | null,
): OcspObservation {
  const { response, nonce, ...transport } = exchange;
  const base = { ...transport, source: "responder" as const, endpoint: null };
  const der = input.derOf(exchange.certificate);
  const issuerDer = exchange.issuer ? input.derOf(exchange.issuer) : null;
  if (response === null || !parse || !der || !issuerDer) return ocspObservation(base, null);
  const result = parse(Buffer.from(response, "base64"), {
    certificateDer: der, issuerDer, nonce: nonce ? Buffer.from(nonce, "base64") : null, now: input.now,
  });
  return ocspObservation(base, result);
}

function ocspObservation(
  transport: OcspTransport & Pick<OcspObservation, "url" | "source" | "endpoint">,
  result: OcspResult | null,
): OcspObservation {
  return {
    ...transport,
    responseStatus: result?.responseStatus ?? null,
    certStatus: result?.certStatus ?? null,
    revocationTime: result?.revocationTime ?? null,
    revocationReason: result?.revocationReason ?? null,
    thisUpdate: result?.thisUpdate ?? null,
    nextUpdate: result?.nextUpdate ?? null,
    signer: result?.signer ?? null,
    signatureValid: result?.signatureValid ?? null,
    problems: result?.problems ?? [],
  };
}
