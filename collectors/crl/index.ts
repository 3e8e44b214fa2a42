// The CRL collector: fetches every CRL distribution point the inventory names (once per URL,
// however many certificates name it), plus --crl-url URLs and local CRL files; reads each CRL
// with the streaming reader (bounded memory at any size); verifies its signature against the
// CA that issued the certificates; and records which inventory certificates it revokes.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { forEachBounded } from "../bounded.js";
import { type CrlInfo, readCrl, verifyCrlSignature } from "../../src/pki/crl.js";
import type { CrlObservation, CrlSource } from "../../src/model/revocation.js";
import type { UrlFetcher } from "../../src/net/fetcher.js";
import { type Collector, outcomeCounter } from "../collector.js";

export interface CrlTarget {
  url: string;
  source: CrlSource;
  /** Inventory certificates naming this URL. */
  certificates: string[];
}

/** An inventory certificate a CRL might revoke. */
export interface RevocableCertificate {
  sha256: string;
  /** Normalised serial (see normalizeSerial). */
  serial: string;
  issuerNameHash: string;
}

export interface CrlCollectorOptions {
  targets: readonly CrlTarget[];
  files: readonly string[];
  /** null when fetching is off: URL targets are then recorded as not fetched. */
  fetcher: UrlFetcher | null;
  /** A CRL already read from the directory for this URL (AD CS ldap:/// CDPs), or null: then it is fetched. */
  published?(url: string): Buffer | null;
  certificates: readonly RevocableCertificate[];
  /** CA certificates (DER) whose subject has this name hash: the candidate CRL signers. */
  issuersNamed(nameHash: string): { sha256: string; der: Buffer }[];
}

export const crlCollector: Collector<CrlCollectorOptions> = {
  meta: { name: "crl", description: "CRLs from distribution points, --crl-url and files: freshness, signature, revocations" },
  async collect(options, ctx) {
    const { tally, count } = outcomeCounter(ctx, "crl-");
    const wanted = new Set(options.certificates.map((c) => c.serial));
    const record = async (observation: CrlObservation): Promise<void> => {
      await ctx.recorder.addCrl(observation);
      const outcome = observation.skipped ? "skipped" : observation.error ? "error" : observation.signature.status === "valid" ? "ok" : observation.signature.status;
      count(outcome);
    };
    await forEachBounded(options.targets, ctx.concurrency, ctx.signal, async (target) => {
      const fetchedAt = new Date().toISOString();
      const published = options.published?.(target.url);
      if (published) return record(observe(target, fetchedAt, published, 0, null, wanted, options));
      const refusal = options.fetcher ? options.fetcher.refusal(target.url) : "fetching is off (--no-fetch)";
      if (refusal || !options.fetcher) return record({ ...failed(target, fetchedAt, "", 0, null), error: null, skipped: refusal });
      const response = await options.fetcher.fetch(target.url);
      if (!response.ok && response.needsCredentials) {
        // Domain members read such CDPs with their machine account; an anonymous refusal says
        // nothing about the CRL. Scanning the DC with --ldap reads it from the directory instead.
        const skipped = `the directory refuses anonymous reads (${response.error}); scan the DC with --ldap to read this CRL`;
        return record({ ...failed(target, fetchedAt, "", response.latencyMs, null), error: null, skipped });
      }
      if (!response.ok) return record(failed(target, fetchedAt, response.error, response.latencyMs, response.status));
      await record(observe(target, fetchedAt, response.body, response.latencyMs, response.status, wanted, options));
    });
    for (const path of options.files) {
      if (ctx.signal.aborted) break;
      const target: CrlTarget = { url: path, source: "file", certificates: [] };
      const fetchedAt = new Date().toISOString();
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (err) {
        await record(failed(target, fetchedAt, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 0, null));
        continue;
      }
      await record(observe(target, fetchedAt, body, 0, null, wanted, options));
    }
    return tally;
  },
};

function failed(target: CrlTarget, fetchedAt: string, error: string, latencyMs: number, httpStatus: number | null): CrlObservation {
  return {
    url: target.url, source: target.source, fetchedAt, latencyMs, httpStatus, error, skipped: null, crl: null,
    signature: { status: "issuer-unknown", issuer: null }, certificates: target.certificates, revoked: [],
  };
}

function observe(
  target: CrlTarget,
  fetchedAt: string,
  body: Buffer,
  latencyMs: number,
  httpStatus: number | null,
  wanted: ReadonlySet<string>,
  options: CrlCollectorOptions,
): CrlObservation {
  let crl: CrlInfo;
  try {
    crl = readCrl(body, wanted);
  } catch (err) {
    return failed(target, fetchedAt, `unparsable CRL: ${(err as Error).message}`, latencyMs, httpStatus);
  }
  // In a delta CRL, removeFromCRL un-revokes (a certificate on hold released): not a revocation.
  // An unhandled critical extension on the CRL, or on an entry, means it must not decide revocation.
  const usable = crl.unhandledCriticalExtensions.length === 0;
  const revokedSerials = new Map(
    crl.matches
      .filter((m) => usable && m.reason !== "removeFromCRL" && m.unhandledCriticalExtensions.length === 0)
      .map((m) => [m.serial, m]),
  );
  // A serial only revokes a certificate of the same issuer.
  const revoked = options.certificates.flatMap((c) => {
    const match = c.issuerNameHash === crl.issuerNameHash ? revokedSerials.get(c.serial) : undefined;
    return match ? [{ certificate: c.sha256, serial: c.serial, revocationDate: match.revocationDate, reason: match.reason }] : [];
  });
  return {
    url: target.url, source: target.source, fetchedAt, latencyMs, httpStatus, error: null, skipped: null,
    crl: {
      sha256: crl.sha256, size: crl.size, issuer: crl.issuer, issuerNameHash: crl.issuerNameHash,
      thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, crlNumber: crl.crlNumber,
      deltaCrlIndicator: crl.deltaCrlIndicator, entryCount: crl.entryCount, signatureAlgorithm: crl.signatureAlgorithm,
      unhandledCriticalExtensions: [
        ...new Set([...crl.unhandledCriticalExtensions, ...crl.matches.flatMap((m) => m.unhandledCriticalExtensions)]),
      ],
    },
    signature: checkSignature(crl, options.issuersNamed(crl.issuerNameHash)),
    certificates: target.certificates,
    revoked,
  };
}

function checkSignature(crl: CrlInfo, candidates: { sha256: string; der: Buffer }[]): CrlObservation["signature"] {
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
