// Fetches URLs taken from untrusted certificates (AIA caIssuers, CRL distribution points, OCSP
// responders) under a FetchPolicy: allowed schemes and hosts only, no redirects (undici's
// request() never follows them), no content decoding (a gzip bomb is refused unread), a size cap
// enforced while streaming, a total time cap, and a per-host concurrency limit. LDAP URLs (as AD CS publishes CRLs) are read with ldapts.
import type { Agent } from "undici";
import type { FetchPolicy } from "./fetch-policy.js";

export type FetchResult =
  | { ok: true; body: Buffer; status: number | null; contentType: string | null; latencyMs: number }
  | {
      ok: false;
      error: string;
      status: number | null;
      latencyMs: number;
      /** The server answered but will not serve anonymous reads (Active Directory's default). */
      needsCredentials?: boolean;
    };

interface UndiciClient {
  agent: Agent;
  request: typeof import("undici").request;
}

export interface PostBody {
  body: Buffer;
  contentType: string;
}

export class UrlFetcher {
  /** Created on the first HTTP fetch: many scans fetch nothing, and undici takes ~0.1 s to load. */
  private agent: Promise<UndiciClient> | null = null;

  constructor(private readonly policy: FetchPolicy) {}

  /** Why the policy forbids fetching this URL, or null. */
  refusal(url: string): string | null {
    return this.policy.refusal(url);
  }

  /** GET (or POST when a body is given) an http(s) URL, or read an ldap URL. Never throws. */
  fetch(url: string, post?: PostBody): Promise<FetchResult> {
    const refusal = this.policy.refusal(url);
    if (refusal) return Promise.resolve({ ok: false, error: refusal, status: null, latencyMs: 0 });
    return this.policy.limitFor(url)(() => (url.toLowerCase().startsWith("ldap:") ? this.ldap(url) : this.http(url, post)));
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).agent.close();
  }

  private undici(): Promise<UndiciClient> {
    this.agent ??= import("undici").then(({ Agent, request }) => ({
      // Every connection resolves its host through the policy, so a name cannot resolve its way
      // past the allow/deny lists.
      agent: new Agent({ connect: { lookup: this.policy.lookup }, pipelining: 0 }),
      request,
    }));
    return this.agent;
  }

  private async http(url: string, post: PostBody | undefined): Promise<FetchResult> {
    const { maxBytes, timeoutMs } = this.policy.options;
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const { agent, request } = await this.undici();
      const response = await request(url, {
        dispatcher: agent,
        method: post ? "POST" : "GET",
        ...(post ? { body: post.body, headers: { "content-type": post.contentType } } : {}),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const refusal = unreadable(response.statusCode, response.headers);
      if (refusal) {
        discard(response.body);
        return { ok: false, error: refusal, status: response.statusCode, latencyMs: elapsed() };
      }
      const body = await readCapped(response.body, maxBytes, Number(response.headers["content-length"] ?? NaN));
      if (typeof body === "string") return { ok: false, error: body, status: response.statusCode, latencyMs: elapsed() };
      if (response.statusCode < 200 || response.statusCode > 299) {
        return { ok: false, error: `HTTP ${response.statusCode}`, status: response.statusCode, latencyMs: elapsed() };
      }
      const contentType = response.headers["content-type"];
      return { ok: true, body, status: response.statusCode, contentType: typeof contentType === "string" ? contentType : null, latencyMs: elapsed() };
    } catch (err) {
      const error = signal.aborted ? `no complete answer within ${timeoutMs} ms` : describeNetworkError(err);
      return { ok: false, error, status: null, latencyMs: elapsed() };
    }
  }

  /**
   * ldap://host[:port]/<dn>?<attribute>[;binary]?base — anonymous, base-scope read of one binary
   * attribute (certificateRevocationList or cACertificate), as RFC 4516 URLs in CDPs say.
   */
  private async ldap(url: string): Promise<FetchResult> {
    const { maxBytes, timeoutMs } = this.policy.options;
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const target = parseLdapUrl(url);
    if ("error" in target) return { ok: false, error: target.error, status: null, latencyMs: 0 };
    if (!target.host) {
      return { ok: false, error: "ldap URL without a host (AD CS writes these for domain members, which ask their own DC); not fetched", status: null, latencyMs: 0 };
    }
    const address = await new Promise<string | Error>((resolve) =>
      this.policy.lookup(target.host, {}, (err, addr) => resolve(err ?? (addr as string))),
    );
    if (address instanceof Error) return { ok: false, error: describeNetworkError(address), status: null, latencyMs: elapsed() };
    // ldapts is loaded with the first ldap:// URL (as the undici agent is with the first http one).
    const { Client, InsufficientAccessError, OperationsError, StrongAuthRequiredError } = await import("ldapts");
    const client = new Client({ url: `ldap://${address.includes(":") ? `[${address}]` : address}:${target.port}`, timeout: timeoutMs, connectTimeout: timeoutMs });
    try {
      const { searchEntries } = await client.search(target.dn, {
        scope: "base",
        attributes: [target.attribute],
        explicitBufferAttributes: [target.attribute],
        sizeLimit: 1,
      });
      const value = searchEntries[0]?.[target.attribute];
      const first = Array.isArray(value) ? value[0] : value;
      if (!Buffer.isBuffer(first) || first.length === 0) {
        return { ok: false, error: `no ${target.attribute} value at ${target.dn}`, status: null, latencyMs: elapsed() };
      }
      if (first.length > maxBytes) {
        return { ok: false, error: `value exceeds the ${maxBytes}-byte cap`, status: null, latencyMs: elapsed() };
      }
      return { ok: true, body: first, status: null, contentType: null, latencyMs: elapsed() };
    } catch (err) {
      const needsCredentials =
        err instanceof OperationsError || err instanceof StrongAuthRequiredError || err instanceof InsufficientAccessError;
      return { ok: false, error: `LDAP: ${describeNetworkError(err)}`, status: null, latencyMs: elapsed(), needsCredentials };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}

/**
 * Why a response's body is not read: a redirect (never followed: a certificate's URL is where the
 * CA publishes, and a loop must cost one request), or a Content-Encoding we never ask for (undici's
 * request() sends no Accept-Encoding and decodes nothing; decoding would let a small gzip body
 * inflate without bound).
 */
function unreadable(status: number, headers: Record<string, string | string[] | undefined>): string | null {
  const location = headers.location;
  if (status >= 300 && status <= 399 && typeof location === "string") return `HTTP ${status}: redirect to ${location.slice(0, 200)} not followed`;
  if (status < 200 || status > 299) return null;
  const encoding = headers["content-encoding"];
  const encodings = (Array.isArray(encoding) ? encoding.join(",") : encoding ?? "").split(",").map((e) => e.trim().toLowerCase()).filter((e) => e && e !== "identity");
  if (encodings.length > 0) return `served with Content-Encoding ${encodings.join(", ").slice(0, 100)}, which was not asked for; not decoded`;
  return null;
}

/** Drops a body unread: undici's destroy() emits an abort error, which with no listener would end the process. */
function discard(body: { on(event: "error", listener: () => void): unknown; destroy(): void }): void {
  body.on("error", () => {});
  body.destroy();
}

async function readCapped(body: AsyncIterable<unknown> & { on(event: "error", listener: () => void): unknown; destroy(): void }, maxBytes: number, declared: number): Promise<Buffer | string> {
  if (declared > maxBytes) {
    discard(body);
    return `response of ${declared} bytes exceeds the ${maxBytes}-byte cap`;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      return `response exceeds the ${maxBytes}-byte cap`;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface LdapTarget {
  /** Empty for "ldap:///dn" (AD CS's form: the client asks its own DC). */
  host: string;
  port: number;
  dn: string;
  attribute: string;
}

export function parseLdapUrl(url: string): LdapTarget | { error: string } {
  const match = /^ldap:\/\/([^/?]*)\/([^?]+)(?:\?([^?]*))?/i.exec(url.trim());
  if (!match) return { error: "not an ldap:// URL with a DN" };
  const [, hostPort = "", dn = "", attributes = ""] = match;
  const hostMatch = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  const host = hostMatch?.[1]?.replace(/^\[|\]$/g, "") ?? "";
  let decodedDn: string;
  try {
    decodedDn = decodeURIComponent(dn);
  } catch {
    return { error: "ldap URL with a malformed DN" };
  }
  const attribute = (attributes.split(",")[0] || "certificateRevocationList").replace(/;binary$/i, "");
  return { host, port: Number(hostMatch?.[2] ?? 389), dn: decodedDn, attribute };
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}
