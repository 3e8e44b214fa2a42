// Revocation judgements, derived in one place from what the collectors stored: which CA signed
// each CRL and what it revokes among the run's certificates, and whether each OCSP answer
// (fetched or stapled) can be trusted. A CRL that no certificate of the CA it names verifies
// revokes nothing: a forged CRL must never raise a finding on a healthy certificate.
import { X509Certificate } from "node:crypto";
import { groupBy } from "../collections.js";
import type { CrlFetch, CrlObservation, OcspExchange, OcspObservation, OcspTransport } from "../model/revocation.js";
import type { PathResult } from "../model/types.js";
import { type CrlInfo, normalizeSerial, readCrl, verifyCrlSignature } from "../pki/crl.js";
import type { OcspResult } from "../pki/ocsp.js";
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
  // Indexed once for all CRLs: which certificates name each CDP, and which each CA issued.
  const byCdp = new Map([...groupBy(
    input.certificates.flatMap((c) => c.record.crlDistributionPoints.map((url) => ({ url, sha256: c.sha256 }))),
    (naming) => naming.url,
  )].map(([url, namings]) => [url, namings.map((n) => n.sha256)]));
  const byIssuerName = groupBy(input.certificates, (c) => c.issuerNameHash);
  const crls = input.observations.fetches.flatMap((f) => (f.kind === "crl" ? [judgeCrl(f.fetch, input, byCdp, byIssuerName)] : []));
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

function judgeCrl(
  fetch: CrlFetch,
  input: RevocationInput,
  byCdp: ReadonlyMap<string, string[]>,
  byIssuerName: ReadonlyMap<string, Parsed[]>,
): CrlObservation {
  const certificates = fetch.source === "cdp" ? [...new Set(byCdp.get(fetch.url) ?? [])] : [];
  const unread: CrlObservation = { ...fetch, signature: { status: "issuer-unknown", issuer: null }, certificates, revoked: [] };
  const body = fetch.crl ? input.observations.crlBodies.get(fetch.crl.sha256) : undefined;
  if (!fetch.crl || !body) return unread;
  // Only certificates of the CA the CRL names can be revoked by it.
  const covered = byIssuerName.get(fetch.crl.issuerNameHash) ?? [];
  let crl: CrlInfo;
  try {
    crl = readCrl(body, new Set(covered.map((c) => normalizeSerial(c.record.serialNumber))));
  } catch {
    return unread;
  }
  const signature = checkSignature(crl, input.signers.get(crl.issuerNameHash) ?? []);
  // An unhandled critical extension (partitioned or indirect CRL), on the CRL or on an entry,
  // means it must not decide revocation (RFC 5280 6.3.3); in a delta CRL, removeFromCRL
  // un-revokes a certificate on hold: not a revocation.
  const decides = signature.status === "valid" && crl.unhandledCriticalExtensions.length === 0;
  const revokedSerials = new Map(
    crl.matches
      .filter((m) => decides && m.reason !== "removeFromCRL" && m.unhandledCriticalExtensions.length === 0)
      .map((m) => [m.serial, m]),
  );
  const revoked = covered.flatMap((c) => {
    const serial = normalizeSerial(c.record.serialNumber);
    const match = revokedSerials.get(serial);
    return match ? [{ certificate: c.sha256, serial, revocationDate: match.revocationDate, reason: match.reason }] : [];
  });
  return { ...fetch, signature, certificates, revoked };
}

function checkSignature(crl: CrlInfo, candidates: readonly SignerCandidate[]): CrlObservation["signature"] {
  if (candidates.length === 0) return { status: "issuer-unknown", issuer: null };
  for (const candidate of candidates) {
    let key;
    try {
      key = new X509Certificate(candidate.der).publicKey;
    } catch {
      continue;
    }
    if (verifyCrlSignature(crl, key)) return { status: "valid", issuer: candidate.sha256 };
  }
  return { status: "invalid", issuer: null };
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
