// An LDAP source as the scan is given it and records it: its options, its URL parsed and checked,
// its description without the password. Apart from the session (ldap-session.ts) so that a scan
// can plan and record sources without loading the LDAP client.
import { isIP } from "node:net";

export interface AdcsCollectorOptions {
  /** ldaps://host[:port], or ldap://host[:port] with startTls (or allowPlaintext). Nothing else: no DN, no credentials. */
  url: string;
  /** "simple" (default): bindDn + password. "kerberos": SASL GSSAPI with the ticket in the credential cache (kinit); bindDn and password are ignored. */
  auth?: "simple" | "kerberos";
  /** Kerberos: the DC's host name for the service principal ldap/<host>. Default: the URL's host. */
  spnHost?: string;
  bindDn: string;
  /** Used for the bind only: never logged, stored or put in an error. */
  password: string;
  /** Upgrade ldap:// with StartTLS before binding. */
  startTls?: boolean;
  /** Accept any DC certificate (labs with self-signed certificates). */
  insecure?: boolean;
  /** Allow a simple bind over unencrypted ldap://. */
  allowPlaintext?: boolean;
  /** PEM CA certificates that verify the DC's certificate, instead of Node's bundled roots. */
  ca?: string[];
  /** Bound on each step (connect, TLS, bind, each search page). Default 10 s. */
  timeoutMs?: number;
  /** At most this many entries are read under Public Key Services. Default 20,000. */
  maxEntries?: number;
}

export interface LdapEndpoint {
  /** scheme://host:port, the only form of the URL that is ever stored or logged. */
  url: string;
  host: string;
  port: number;
  secure: boolean;
}

/** Stands in for a URL that does not parse: the raw text might hold credentials. */
export const INVALID_SOURCE = "(invalid LDAP URL)";

/** A failed step of the session; `context` names the step for the snapshot's error list. */
export class LdapStepError extends Error {
  constructor(
    readonly context: string,
    message: string,
  ) {
    super(message);
    this.name = "LdapStepError";
  }
}

export function parseLdapUrl(text: string): LdapEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LdapStepError("url", "not a URL (expected ldaps://host[:port] or ldap://host[:port])");
  }
  if (url.protocol !== "ldap:" && url.protocol !== "ldaps:") throw new LdapStepError("url", `unsupported scheme ${url.protocol} (ldap: or ldaps:)`);
  if (url.username || url.password) throw new LdapStepError("url", "credentials in the URL are not accepted: give a bind DN and a password source");
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) throw new LdapStepError("url", "the URL takes a host and port only");
  const secure = url.protocol === "ldaps:";
  const port = url.port ? Number(url.port) : secure ? 636 : 389;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { url: `${url.protocol}//${hostPort(host, port)}`, host, port, secure };
}

/** An LDAP source as a run may record it: where, as whom, how secured; never the password. */
export function describeLdapSource(options: AdcsCollectorOptions): Record<string, unknown> {
  let url: string;
  try {
    url = parseLdapUrl(options.url).url;
  } catch {
    url = INVALID_SOURCE;
  }
  const transport = url.startsWith("ldaps:") ? "ldaps" : options.startTls ? "starttls" : "plaintext";
  const verifyCertificate = transport !== "plaintext" && !options.insecure;
  if (options.auth === "kerberos") {
    let host = options.spnHost;
    if (!host && url !== INVALID_SOURCE) host = parseLdapUrl(options.url).host;
    return { url, auth: "kerberos", servicePrincipal: `ldap/${host ?? "?"}`, transport, verifyCertificate };
  }
  return { url, bindDn: options.bindDn, transport, verifyCertificate };
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
