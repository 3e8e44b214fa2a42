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
import { UsageError } from "../../../src/errors.js";
import { type TargetSpec, parsePort, splitList } from "../../../src/targets/targets.js";
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

/** Every port some protocol speaks by default, in registry order. */
export function startTlsDefaultPorts(): number[] {
  return [...BY_PORT.keys()];
}

/** The protocol a name means: null for IMPLICIT_TLS; a UsageError naming `what` for an unknown name. */
function checkedName(name: string, what: string): string | null {
  if (name === IMPLICIT_TLS) return null;
  if (BY_NAME.has(name)) return name;
  throw new UsageError(`unknown STARTTLS protocol "${name}" in ${what} (known: ${[...BY_NAME.keys(), IMPLICIT_TLS].join(", ")})`);
}

/**
 * A target with its scheme (`smtp://host`) checked: `tls://` becomes null (TLS at once), and a
 * protocol named without a port is probed on its default ports (`smtp://host`: 25 and 587).
 */
export function startTlsSpecs(spec: TargetSpec): TargetSpec[] {
  if (spec.starttls === undefined || spec.starttls === null) return [spec];
  const starttls = checkedName(spec.starttls, `target "${spec.text}"`);
  if (starttls === null || spec.port !== null) return [{ ...spec, starttls }];
  return BY_NAME.get(starttls)!.defaultPorts.map((port) => ({ ...spec, starttls, port }));
}

/** `--starttls PORT=PROTO` items (also comma-separated): by port, the protocol, or null for TLS at once. */
export function parseStartTlsPorts(items: readonly string[]): Record<number, string | null> {
  const byPort: Record<number, string | null> = {};
  for (const item of items.flatMap(splitList)) {
    const pair = /^(\d+)=([a-z0-9]+)$/i.exec(item);
    if (!pair) throw new UsageError(`--starttls takes PORT=PROTOCOL (e.g. 2525=smtp), not "${item}"`);
    byPort[parsePort(pair[1]!, "--starttls port")] = checkedName(pair[2]!.toLowerCase(), `--starttls ${item}`);
  }
  return byPort;
}

/** The protocol a probe speaks: its target's scheme, else the port's entry in `byPort`, else the port's default. */
export function startTlsFor(starttls: string | null | undefined, port: number, byPort: Readonly<Record<number, string | null>>): string | null {
  if (starttls !== undefined) return starttls;
  if (byPort[port] !== undefined) return byPort[port];
  return BY_PORT.get(port)?.name ?? null;
}
