// The AIA collector: fetches caIssuers URLs of certificates whose issuer the run has not seen
// (the engine picks them between passes), and records each certificate a URL gives as an "aia"
// sighting, plus how each fetch went. Path building later uses what was collected; it fetches
// nothing itself.
import type { UrlFetcher } from "../../src/net/fetcher.js";
import { certificatesInAiaBody } from "../../src/pki/aia-body.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import { forEachBounded } from "../bounded.js";
import { type Collector, outcomeCounter } from "../collector.js";

export interface AiaCollectorOptions {
  urls: readonly string[];
  fetcher: UrlFetcher;
}

export const aiaCollector: Collector<AiaCollectorOptions> = {
  meta: { name: "aia", description: "issuer certificates from AIA caIssuers URLs (DER, PEM or PKCS#7)" },
  async collect({ urls, fetcher }, ctx) {
    const { tally, count } = outcomeCounter(ctx, "aia-");
    await forEachBounded(urls, ctx.concurrency, ctx.signal, async (url) => {
      const fetchedAt = new Date().toISOString();
      const refusal = fetcher.refusal(url);
      const response = refusal ? null : await fetcher.fetch(url);
      let error = refusal ?? (response && !response.ok ? response.error : null);
      const certificates = response?.ok ? await certificatesInAiaBody(response.body) : [];
      if (!error && certificates.length === 0) error = "response holds no certificate";
      for (const der of certificates) await ctx.recorder.addSighting({ der, source: "aia", location: url, position: null, observedAt: fetchedAt });
      await ctx.recorder.addAia({ url, fetchedAt, error, certificates: certificates.map((der) => sha256Hex(der)) });
      count(error ? "error" : "ok");
    });
    return tally;
  },
};
