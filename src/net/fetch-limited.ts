// HTTP GETs of URLs taken from untrusted certificates (AIA caIssuers now; CRLs and OCSP later):
// http and https only, no redirects, a size cap enforced while streaming, and a total time cap.
import { request } from "undici";

export interface LimitedFetchOptions {
  maxBytes: number;
  timeoutMs: number;
}

export type LimitedFetchResult =
  | { ok: true; body: Buffer; status: number; contentType: string | null; latencyMs: number }
  | { ok: false; error: string; status: number | null; latencyMs: number };

export async function fetchLimited(url: string, { maxBytes, timeoutMs }: LimitedFetchOptions): Promise<LimitedFetchResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: "not a valid URL", status: null, latencyMs: 0 };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { ok: false, error: `scheme ${parsed.protocol} not fetched over HTTP`, status: null, latencyMs: 0 };
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // undici's request() never follows redirects unless asked to, which is what we want.
    const response = await request(parsed, { method: "GET", signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const declared = Number(response.headers["content-length"] ?? NaN);
    if (declared > maxBytes) {
      response.body.destroy();
      return { ok: false, error: `response of ${declared} bytes exceeds the ${maxBytes}-byte cap`, status: response.statusCode, latencyMs: elapsed() };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        return { ok: false, error: `response exceeds the ${maxBytes}-byte cap`, status: response.statusCode, latencyMs: elapsed() };
      }
      chunks.push(chunk as Buffer);
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { ok: false, error: `HTTP ${response.statusCode}`, status: response.statusCode, latencyMs: elapsed() };
    }
    const contentType = response.headers["content-type"];
    return {
      ok: true,
      body: Buffer.concat(chunks),
      status: response.statusCode,
      contentType: typeof contentType === "string" ? contentType : null,
      latencyMs: elapsed(),
    };
  } catch (err) {
    const error = signal.aborted ? `no complete answer within ${timeoutMs} ms` : describeNetworkError(err);
    return { ok: false, error, status: null, latencyMs: elapsed() };
  }
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.message ?? String(err);
}
