// The CRL collector: fetches every CRL distribution point the inventory names (once per URL,
// however many certificates name it), plus --crl-url URLs and local CRL files, and reads each
// CRL's header with the streaming reader (bounded memory at any size). It records what it got
// (transport facts, the CRL's header, its DER); what the CRL means for the run's certificates
// (who signed it, what it revokes) is the analysis' judgement, not the collector's.
import { readFile } from "node:fs/promises";
import { type CrlInfo, crlDer, readCrl } from "../../src/pki/crl.js";
import type { CrlFetch, CrlSource } from "../../src/model/revocation.js";
import type { UrlFetcher } from "../../src/net/fetcher.js";
import { forEachBounded } from "../bounded.js";
import { type Collector, outcomeCounter } from "../collector.js";

export interface CrlTarget {
  url: string;
  source: CrlSource;
  /** The CRL already read from the directory for this URL (AD CS ldap:/// CDPs): then nothing is fetched. */
  published?: Buffer;
}

export interface CrlCollectorOptions {
  targets: readonly CrlTarget[];
  files: readonly string[];
  /** null when fetching is off: URL targets are then recorded as not fetched. */
  fetcher: UrlFetcher | null;
}

export const crlCollector: Collector<CrlCollectorOptions> = {
  meta: { name: "crl", description: "CRLs from distribution points, --crl-url and files: freshness, size, the DER for the analysis" },
  async collect(options, ctx) {
    const { tally, count } = outcomeCounter(ctx, "crl-");
    const record = async (fetch: CrlFetch, der: Buffer | null): Promise<void> => {
      await ctx.recorder.addCrl(fetch, der);
      count(fetch.skipped ? "skipped" : fetch.error ? "error" : "ok");
    };
    await forEachBounded(options.targets, ctx.concurrency, ctx.signal, async (target) => {
      const fetchedAt = new Date().toISOString();
      if (target.published) return record(...observe(target, fetchedAt, target.published, 0, null));
      const refusal = options.fetcher ? options.fetcher.refusal(target.url) : "fetching is off (--no-fetch)";
      if (refusal || !options.fetcher) return record({ ...failed(target, fetchedAt, "", 0, null), error: null, skipped: refusal }, null);
      const response = await options.fetcher.fetch(target.url);
      if (!response.ok && response.needsCredentials) {
        // Domain members read such CDPs with their machine account; an anonymous refusal says
        // nothing about the CRL. Scanning the DC with --ldap reads it from the directory instead.
        const skipped = `the directory refuses anonymous reads (${response.error}); scan the DC with --ldap to read this CRL`;
        return record({ ...failed(target, fetchedAt, "", response.latencyMs, null), error: null, skipped }, null);
      }
      if (!response.ok) return record(failed(target, fetchedAt, response.error, response.latencyMs, response.status), null);
      await record(...observe(target, fetchedAt, response.body, response.latencyMs, response.status));
    });
    for (const path of options.files) {
      if (ctx.signal.aborted) break;
      const target: CrlTarget = { url: path, source: "file" };
      const fetchedAt = new Date().toISOString();
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (err) {
        await record(failed(target, fetchedAt, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 0, null), null);
        continue;
      }
      await record(...observe(target, fetchedAt, body, 0, null));
    }
    return tally;
  },
};

function failed(target: CrlTarget, fetchedAt: string, error: string, latencyMs: number, httpStatus: number | null): CrlFetch {
  return { url: target.url, source: target.source, fetchedAt, latencyMs, httpStatus, error, skipped: null, crl: null };
}

/** The fetch record and the CRL's DER (after PEM decoding), or the parse error. */
function observe(target: CrlTarget, fetchedAt: string, body: Buffer, latencyMs: number, httpStatus: number | null): [CrlFetch, Buffer | null] {
  let crl: CrlInfo;
  try {
    crl = readCrl(body);
  } catch (err) {
    return [failed(target, fetchedAt, `unparsable CRL: ${(err as Error).message}`, latencyMs, httpStatus), null];
  }
  const fetch: CrlFetch = {
    url: target.url, source: target.source, fetchedAt, latencyMs, httpStatus, error: null, skipped: null,
    crl: {
      sha256: crl.sha256, size: crl.size, issuer: crl.issuer, issuerNameHash: crl.issuerNameHash,
      thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, crlNumber: crl.crlNumber,
      deltaCrlIndicator: crl.deltaCrlIndicator, entryCount: crl.entryCount, signatureAlgorithm: crl.signatureAlgorithm,
      unhandledCriticalExtensions: [
        ...new Set([...crl.unhandledCriticalExtensions, ...crl.matches.flatMap((m) => m.unhandledCriticalExtensions)]),
      ],
    },
  };
  // The DER the CRL was read from (a PEM body is decoded): the analysis reads it again against the inventory.
  return [fetch, crlDer(body)];
}
