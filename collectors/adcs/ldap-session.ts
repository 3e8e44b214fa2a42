// Opening an authenticated LDAP session to a domain controller: LDAPS or StartTLS with
// certificate verification by default, plain LDAP only when explicitly allowed (a simple bind
// sends the password in clear), and every failure turned into a step error whose message
// carries no secret.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { Client, ResultCodeError } from "ldapts";
import type { ExclusionList } from "../../src/targets/targets.js";
import { GssapiBindError, gssapiBind } from "./sasl-gssapi.js";

import { type AdcsCollectorOptions, type LdapEndpoint, LdapStepError } from "./ldap-source.js";

export { type AdcsCollectorOptions, INVALID_SOURCE, type LdapEndpoint, LdapStepError, describeLdapSource, parseLdapUrl } from "./ldap-source.js";

const DEFAULT_TIMEOUT_MS = 10_000;

/** Connects, secures and binds; the caller unbinds. Throws LdapStepError. */
export async function openSession(endpoint: LdapEndpoint, options: AdcsCollectorOptions, exclusions: ExclusionList): Promise<Client> {
  const kerberos = options.auth === "kerberos";
  if (kerberos) {
    // The GSSAPI bind negotiates no SASL security layer and relies on TLS to protect the session.
    if (!endpoint.secure && !options.startTls) {
      throw new LdapStepError("connect", "a Kerberos bind needs TLS (it negotiates no SASL signing or sealing): use ldaps:// or StartTLS");
    }
  } else {
    if (!options.bindDn) throw new LdapStepError("bind", "no bind DN given");
    // An empty password makes a simple bind unauthenticated, which AD accepts as anonymous.
    if (!options.password) throw new LdapStepError("bind", "empty password: refusing an unauthenticated bind");
    if (!endpoint.secure && !options.startTls && !options.allowPlaintext) {
      throw new LdapStepError("connect", "plain ldap:// would send the password in clear: use ldaps://, StartTLS, or allow plaintext explicitly");
    }
  }
  await refuseExcluded(endpoint.host, exclusions);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tlsOptions = tlsOptionsFor(endpoint.host, options);
  const client = new Client({
    url: endpoint.url,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    // Any tlsOptions make ldapts speak TLS from the first byte, so give them only for ldaps://.
    ...(endpoint.secure ? { tlsOptions } : {}),
  });
  try {
    if (!endpoint.secure && options.startTls) {
      await step("starttls", withTimeout(client.startTLS(tlsOptions), timeoutMs, "StartTLS"));
    }
    if (kerberos) await kerberosBind(client, endpoint, options, timeoutMs);
    else await bind(client, options);
    return client;
  } catch (err) {
    await closeQuietly(client);
    throw err;
  }
}

export async function closeQuietly(client: Client): Promise<void> {
  try {
    await client.unbind();
  } catch {
    // The session is being abandoned; a failed unbind changes nothing.
  }
}

/** ldapts connects on the first request, so a bind failure is either the server's answer or no connection. */
async function bind(client: Client, options: AdcsCollectorOptions): Promise<void> {
  try {
    await client.bind(options.bindDn, options.password);
  } catch (err) {
    throw new LdapStepError(err instanceof ResultCodeError ? "bind" : "connect", errorText(err));
  }
}

/**
 * SASL GSSAPI with the caller's ticket. A missing ticket, an unreachable KDC, an unknown SPN or
 * the DC's refusal are "bind" errors; a failed connection is "connect", as for a simple bind.
 */
async function kerberosBind(client: Client, endpoint: LdapEndpoint, options: AdcsCollectorOptions, timeoutMs: number): Promise<void> {
  const spnHost = options.spnHost || endpoint.host;
  try {
    // The KDC exchanges happen inside the Kerberos library, outside ldapts' per-message timeout.
    await withTimeout(gssapiBind(client, { spnHost }), timeoutMs, "Kerberos bind");
  } catch (err) {
    if (err instanceof GssapiBindError || err instanceof StepTimeoutError) {
      const hint = !options.spnHost && isIP(spnHost) ? " (the service principal was built from an IP address: give the DC's host name for it)" : "";
      throw new LdapStepError("bind", `${err.message}${hint}`);
    }
    throw new LdapStepError(err instanceof ResultCodeError ? "bind" : "connect", errorText(err));
  }
}

/** Runs one step; any failure becomes an LdapStepError naming it. */
export async function step<T>(context: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof LdapStepError) throw err;
    throw new LdapStepError(context, errorText(err));
  }
}

/** An error as the snapshot records it (not yet redacted: the collector redacts every message once). */
export function stepError(err: unknown): { context: string; message: string } {
  return err instanceof LdapStepError ? { context: err.context, message: err.message } : { context: "internal", message: errorText(err) };
}

/**
 * The text of an error, with every form of the secrets in it replaced. ldapts errors can carry
 * the server's diagnostic text or request data, which may echo what was sent.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex")];
    for (const form of forms) out = out.split(form).join("[redacted]");
  }
  return out.length > 500 ? `${out.slice(0, 500)}...` : out;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return code !== undefined && !err.message.includes(String(code)) ? `${err.message} (${String(code)})` : err.message;
}

function tlsOptionsFor(host: string, options: AdcsCollectorOptions): ConnectionOptions {
  return {
    rejectUnauthorized: !options.insecure,
    // StartTLS reuses the socket, so Node would check the certificate against "localhost"
    // unless told the host; SNI must not carry an IP address.
    host,
    ...(isIP(host) ? {} : { servername: host }),
    ...(options.ca && options.ca.length > 0 ? { ca: options.ca } : {}),
  };
}

async function refuseExcluded(host: string, exclusions: ExclusionList): Promise<void> {
  if (exclusions.size === 0) return;
  const addresses = isIP(host) ? [host] : (await step("resolve", lookup(host, { all: true }))).map((a) => a.address);
  const excluded = addresses.find((a) => exclusions.excludes(a));
  if (excluded) throw new LdapStepError("connect", `${host} resolves to excluded address ${excluded}`);
}

class StepTimeoutError extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
