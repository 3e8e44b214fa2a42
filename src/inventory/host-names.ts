// Whether a certificate covers the name a client asked for, as RFC 6125 and the CA/Browser Forum
// Baseline Requirements have TLS clients check it. Written here rather than calling Node's
// tls.checkServerIdentity, which differs on the cases a PKI owner needs told apart (measured in
// tests/inventory/host-names.test.ts): it accepts partial-label wildcards ("f*.example.com",
// forbidden by BR §7.1.2.7.12 and by browsers), reads the subject CN when a SAN extension holds
// only IP addresses, and compares a U-label host name with A-label SANs byte for byte.
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import ipaddr from "ipaddr.js";
import type { CertificateRecord } from "../model/types.js";

export type HostNameSubject = Pick<CertificateRecord, "subject" | "sans" | "hasSanExtension">;

export interface HostNameMatch {
  covered: boolean;
  /** What the name was compared with: "DNS:..." and "IP:..." SANs, or "CN:..." without a SAN extension. */
  presented: string[];
}

/**
 * An IP address is compared with iPAddress SANs only (IPv6 in any notation). A host name, its
 * U-labels converted to A-labels, is compared with dNSName SANs; with the subject CN only when
 * the certificate has no SAN extension at all. That is stricter than RFC 6125 §6.4.4, which
 * would also read the CN beside IP-only or email-only SANs, as browsers and RFC 9525 are; it
 * still reads the CN of a SAN-less certificate, which missing-san reports on its own.
 */
export function matchHostName(certificate: HostNameSubject, name: string): HostNameMatch {
  if (isIP(name)) {
    const addresses = certificate.sans.filter((s) => s.startsWith("IP:"));
    const wanted = addressBytes(name);
    return { covered: wanted !== null && addresses.some((s) => addressBytes(s.slice(3)) === wanted), presented: addresses };
  }
  const presented = certificate.hasSanExtension
    ? certificate.sans.filter((s) => s.startsWith("DNS:"))
    : commonNames(certificate.subject).map((cn) => `CN:${cn}`);
  const reference = domainToASCII(withoutTrailingDot(name));
  const covered = reference !== "" && presented.some((p) => matchesDnsId(p.slice(p.indexOf(":") + 1), reference));
  return { covered, presented };
}

/** Presented names are IA5String: anything outside printable ASCII matches nothing. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;

/**
 * An exact match ignoring ASCII case, or a wildcard that is the whole leftmost label standing
 * for exactly one non-empty label, with at least two labels to its right: without the public
 * suffix list, "*.com" cannot be told from "*.co.uk", so a wildcard over one label is refused,
 * as Node and curl refuse it.
 */
function matchesDnsId(presentedName: string, reference: string): boolean {
  const pattern = withoutTrailingDot(presentedName).toLowerCase();
  if (pattern === "" || NOT_PRINTABLE_ASCII.test(pattern)) return false;
  if (!pattern.includes("*")) return pattern === reference;
  const [first, ...rest] = pattern.split(".");
  if (first !== "*" || rest.length < 2 || rest.some((label) => label.includes("*") || label === "")) return false;
  const [host, ...parent] = reference.split(".");
  return host !== "" && parent.join(".") === rest.join(".");
}

function withoutTrailingDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** The address's octets as text, so "2001:DB8::1" and "2001:db8:0:0:0:0:0:1" are one; null when unparsable. */
function addressBytes(text: string): string | null {
  return ipaddr.isValid(text) ? ipaddr.parse(text).toByteArray().join(".") : null;
}

/**
 * CN values of an RFC 4514 subject string. A value with an escape (a comma, a plus) is no host
 * name, so values are read up to the next separator and escaped ones are dropped.
 */
function commonNames(subject: string): string[] {
  return [...subject.matchAll(/(?:^|[,+])\s*CN=((?:[^,+\\]|\\.)*)/gi)]
    .map((m) => m[1]!.trim())
    .filter((value) => value !== "" && !value.includes("\\"));
}
