// The OCSP collector: asks each served leaf's OCSP responder about it, with a request built for
// the leaf and its issuing CA, and records the exchange as it happened (the response kept as
// received). Whether that response can be trusted is judged by the analysis, the same way as
// responses endpoints staple (src/inventory/revocation.ts).
import type { OcspExchange } from "../../src/model/revocation.js";
import type { UrlFetcher } from "../../src/net/fetcher.js";
import { forEachBounded } from "../bounded.js";
import { type Collector, outcomeCounter } from "../collector.js";

export interface OcspQuery {
  url: string;
  sha256: string;
  der: Buffer;
  /** The issuing CA certificate; without it no request can be built. */
  issuer: { sha256: string; der: Buffer } | null;
}

export interface OcspCollectorOptions {
  queries: readonly OcspQuery[];
  fetcher: UrlFetcher | null;
}

export const ocspCollector: Collector<OcspCollectorOptions> = {
  meta: { name: "ocsp", description: "OCSP responders of served leaves: one request each, the response as received" },
  async collect({ queries, fetcher }, ctx) {
    // pkijs is loaded only when there is a request to build (it costs ~70 ms at start-up).
    const { buildOcspRequest } = await import("../../src/pki/ocsp.js");
    const { tally, count } = outcomeCounter(ctx, "ocsp-");
    const record = async (exchange: OcspExchange): Promise<void> => {
      await ctx.recorder.addOcsp(exchange);
      count(exchange.skipped ? "skipped" : exchange.error ? "error" : "answered");
    };
    await forEachBounded(queries, ctx.concurrency, ctx.signal, async (query) => {
      const base: OcspExchange = {
        url: query.url, certificate: query.sha256, issuer: query.issuer?.sha256 ?? null, fetchedAt: new Date().toISOString(),
        latencyMs: 0, httpStatus: null, error: null, skipped: null, response: null, nonce: null,
      };
      if (!query.issuer) return record({ ...base, skipped: "issuer certificate unknown: no OCSP request can be built" });
      const refusal = fetcher ? fetcher.refusal(query.url) : "fetching is off (--no-fetch)";
      if (refusal || !fetcher) return record({ ...base, skipped: refusal ?? "fetching is off" });
      const request = buildOcspRequest({ certificateDer: query.der, issuerDer: query.issuer.der });
      const response = await fetcher.fetch(query.url, { body: request.der, contentType: "application/ocsp-request" });
      const sent = { ...base, latencyMs: response.latencyMs, httpStatus: response.status, nonce: request.nonce?.toString("base64") ?? null };
      if (!response.ok) return record({ ...sent, error: response.error });
      await record({ ...sent, response: response.body.toString("base64") });
    });
    return tally;
  },
};
