// The STARTTLS registry: every plaintext protocol the TLS probe can upgrade, by name, and which
// one a port speaks by default. Adding a protocol is one module and one entry in PROTOCOLS.
//
// | protocol | default ports | how the probe gets to TLS                                  |
// |----------|---------------|------------------------------------------------------------|
// | smtp     | 25, 587       | banner 220, EHLO lists STARTTLS, STARTTLS → 220             |
// | imap     | 143           | greeting * OK, CAPABILITY lists STARTTLS, STARTTLS → OK     |
// | pop3     | 110           | greeting +OK, STLS → +OK                                    |
// | ftp      | 21            | banner 220, AUTH TLS → 234                                  |
// | ldap     | 389           | StartTLS extended request (1.3.6.1.4.1.1466.20037) → success |
// | xmpp     | 5222          | stream features offer <starttls/>, <starttls/> → <proceed/>  |
// | postgres | 5432          | SSLRequest → 'S'                                            |
// | mysql    | 3306          | server handshake has CLIENT_SSL, SSL Request packet         |
// | rdp      | 3389          | X.224 Connection Request, Confirm selects TLS or CredSSP    |
// Implicit-TLS ports (443, 465, 636, 993, 995, ...) speak TLS from the first byte: no entry.
import { ftp } from "./ftp.js";
import { imap } from "./imap.js";
import { ldap } from "./ldap.js";
import { mysql } from "./mysql.js";
import { pop3 } from "./pop3.js";
import { postgres } from "./postgres.js";
import type { StartTlsProtocol } from "./protocol.js";
import { rdp } from "./rdp.js";
import { smtp } from "./smtp.js";
import { xmpp } from "./xmpp.js";

export type { StartTlsProtocol } from "./protocol.js";

/** A port given no protocol by name that must be probed with plain TLS (`--starttls 25=tls`, `tls://host:25`). */
export const IMPLICIT_TLS = "tls";

const PROTOCOLS: readonly StartTlsProtocol[] = [smtp, imap, pop3, ftp, ldap, xmpp, postgres, mysql, rdp];

const BY_NAME = new Map(PROTOCOLS.map((p) => [p.name, p]));
const BY_PORT = new Map(PROTOCOLS.flatMap((p) => p.defaultPorts.map((port) => [port, p] as const)));

export function startTlsProtocols(): readonly StartTlsProtocol[] {
  return PROTOCOLS;
}

/** The protocol of that name; undefined for an unknown name. */
export function startTlsProtocol(name: string): StartTlsProtocol | undefined {
  return BY_NAME.get(name);
}

/** The protocol a port speaks by default; null for a port that speaks TLS at once (or is unknown). */
export function defaultStartTlsFor(port: number): StartTlsProtocol | null {
  return BY_PORT.get(port) ?? null;
}

/** Every port some protocol speaks by default, in registry order. */
export function startTlsDefaultPorts(): number[] {
  return [...BY_PORT.keys()];
}
