// The OCSP collector: asks each served leaf's OCSP responder about it (request built and
// response verified in protocol.ts), and checks responses that TLS endpoints stapled.
import { forEachBounded } from "../bounded.js";
import type { OcspObservation } from "../../src/model/revocation.js";
import type { UrlFetcher } from "../../src/net/fetcher.js";
import { type Collector, outcomeCounter } from "../collector.js";
import type { OcspResult } from "../../src/pki/ocsp.js";

export interface OcspSubject {
  sha256: string;
  der: Buffer;
  /** The issuing CA certificate (from the path); without it no request can be built. */
  issuer: { sha256: string; der: Buffer } | null;
}

export interface OcspQuery extends OcspSubject {
  url: string;
}

export interface OcspStaple extends OcspSubject {
  endpoint: string;
  response: Buffer;
}

export interface OcspCollectorOptions {
  queries: readonly OcspQuery[];
  staples: readonly OcspStaple[];
  fetcher: UrlFetcher | null;
}

export const ocspCollector: Collector<OcspCollectorOptions> = {
  meta: { name: "ocsp", description: "OCSP responders of served leaves, and stapled responses" },
  async collect({ queries, staples, fetcher }, ctx) {
    // pkijs is loaded only when there is something to check (it costs ~70 ms at start-up).
    const { buildOcspRequest, parseOcspResponse } = await import("../../src/pki/ocsp.js");
    const { tally, count } = outcomeCounter(ctx, "ocsp-");
    const record = async (observation: OcspObservation): Promise<void> => {
      await ctx.recorder.addOcsp(observation);
      const outcome = observation.skipped ? "skipped" : observation.error ? "error" : (observation.certStatus ?? "no-status");
      count(outcome);
    };
    for (const staple of staples) {
      if (!staple.issuer) continue;
      const result = parseOcspResponse(staple.response, { certificateDer: staple.der, issuerDer: staple.issuer.der });
      await record(observation(staple, { url: null, source: "staple", endpoint: staple.endpoint, latencyMs: 0, httpStatus: null }, result));
    }
    await forEachBounded(queries, ctx.concurrency, ctx.signal, async (query) => {
      const context = { url: query.url, source: "responder" as const, endpoint: null, latencyMs: 0, httpStatus: null };
      const skip = (reason: string) => record({ ...failed(query, context, ""), error: null, skipped: reason });
      if (!query.issuer) return skip("issuer certificate unknown: no OCSP request can be built");
      const refusal = fetcher ? fetcher.refusal(query.url) : "fetching is off (--no-fetch)";
      if (refusal || !fetcher) return skip(refusal ?? "fetching is off");
      const request = buildOcspRequest({ certificateDer: query.der, issuerDer: query.issuer.der });
      const response = await fetcher.fetch(query.url, { body: request.der, contentType: "application/ocsp-request" });
      const timing = { ...context, latencyMs: response.latencyMs, httpStatus: response.status };
      if (!response.ok) return record(failed(query, timing, response.error));
      const result = parseOcspResponse(response.body, {
        certificateDer: query.der, issuerDer: query.issuer.der, nonce: request.nonce,
      });
      await record(observation(query, timing, result));
    });
    return tally;
  },
};

type Context = Pick<OcspObservation, "url" | "source" | "endpoint" | "latencyMs" | "httpStatus">;

function failed(subject: OcspSubject, context: Context, error: string): OcspObservation {
  return {
    ...context, certificate: subject.sha256, issuer: subject.issuer?.sha256 ?? null, fetchedAt: new Date().toISOString(),
    error, skipped: null, responseStatus: null, certStatus: null, revocationTime: null, revocationReason: null, thisUpdate: null,
    nextUpdate: null, signer: null, signatureValid: null, problems: [],
  };
}

function observation(subject: OcspSubject, context: Context, result: OcspResult): OcspObservation {
  return {
    ...failed(subject, context, ""),
    error: null,
    responseStatus: result.responseStatus,
    certStatus: result.certStatus,
    revocationTime: result.revocationTime,
    revocationReason: result.revocationReason,
    thisUpdate: result.thisUpdate,
    nextUpdate: result.nextUpdate,
    signer: result.signer,
    signatureValid: result.signatureValid,
    problems: result.problems,
  };
}
