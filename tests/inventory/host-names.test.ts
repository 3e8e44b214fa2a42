// Host-name matching (RFC 6125, CA/Browser Forum BR) on real certificates, and where Node's
// tls.checkServerIdentity answers differently: the reason pkiscope has its own matcher.
import { checkServerIdentity } from "node:tls";
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { matchHostName } from "../../src/inventory/host-names.js";
import { parseCertificate } from "../../src/pki/certificate.js";

interface Names {
  cn: string;
  /** Both absent: no SAN extension. */
  dnsNames?: string[];
  ipAddresses?: string[];
}

const key = generateKeyPair({ kind: "ec", curve: "P-256" });
function certificate({ cn, dnsNames, ipAddresses }: Names): Buffer {
  return buildCertificate({
    subject: [["CN", cn], ["O", "Example, Inc."]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2026-12-31T00:00:00Z"),
    ...(dnsNames ? { dnsNames } : {}), ...(ipAddresses ? { ipAddresses } : {}),
  }).der;
}

/** [name asked for, certificate names, covered?, why]. */
const CASES: readonly (readonly [string, Names, boolean, string])[] = [
  ["www.example.test", { cn: "x", dnsNames: ["www.example.test"] }, true, "exact SAN"],
  ["WWW.Example.Test", { cn: "x", dnsNames: ["www.EXAMPLE.test"] }, true, "ASCII case is ignored"],
  ["www.example.test.", { cn: "x", dnsNames: ["www.example.test"] }, true, "a fully qualified name's trailing dot"],
  ["www.example.test", { cn: "x", dnsNames: ["other.example.test"] }, false, "another name"],
  ["a.example.test", { cn: "x", dnsNames: ["*.example.test"] }, true, "wildcard for the leftmost label"],
  ["a.b.example.test", { cn: "x", dnsNames: ["*.example.test"] }, false, "a wildcard stands for one label only"],
  ["example.test", { cn: "x", dnsNames: ["*.example.test"] }, false, "nor for none"],
  ["foo.example.test", { cn: "x", dnsNames: ["f*.example.test"] }, false, "partial-label wildcard (BR §7.1.2.7.12)"],
  ["foo.example.test", { cn: "x", dnsNames: ["*oo.example.test"] }, false, "partial-label wildcard, other side"],
  ["a.b.example.test", { cn: "x", dnsNames: ["a.*.example.test"] }, false, "wildcard not leftmost"],
  ["a.test", { cn: "x", dnsNames: ["*.test"] }, false, "wildcard over a single label"],
  ["a.example.test", { cn: "x", dnsNames: ["*"] }, false, "bare wildcard"],
  ["www.example.test", { cn: "www.example.test" }, true, "no SAN extension: the CN is read"],
  ["www.example.test", { cn: "*.example.test" }, true, "no SAN extension: a wildcard CN"],
  ["www.example.test", { cn: "other.example.test" }, false, "no SAN extension: another CN"],
  ["www.example.test", { cn: "www.example.test", ipAddresses: ["192.0.2.1"] }, false, "a SAN extension (IP only) hides the CN"],
  ["www.example.test", { cn: "www.example.test", dnsNames: ["other.example.test"] }, false, "a SAN extension hides the CN"],
  ["bücher.example.test", { cn: "x", dnsNames: ["xn--bcher-kva.example.test"] }, true, "U-label name against its A-label"],
  ["BÜCHER.example.test", { cn: "x", dnsNames: ["*.example.test"] }, true, "U-label name against a wildcard"],
  ["xn--bcher-kva.example.test", { cn: "x", dnsNames: ["xn--bcher-kva.example.test"] }, true, "A-label name"],
  ["xn--bcher-kva.example.test", { cn: "x", dnsNames: ["xn--*.example.test"] }, false, "wildcard inside an A-label"],
  ["192.0.2.1", { cn: "x", ipAddresses: ["192.0.2.1"] }, true, "IPv4 address SAN"],
  ["192.0.2.1", { cn: "x", ipAddresses: ["192.0.2.2"] }, false, "another IPv4 address"],
  ["192.0.2.1", { cn: "x", dnsNames: ["192.0.2.1"] }, false, "an address is never a dNSName"],
  ["192.0.2.1", { cn: "192.0.2.1" }, false, "an address is never read from the CN"],
  ["192.0.2.1", { cn: "x", dnsNames: ["*.0.2.1"] }, false, "no wildcard for addresses"],
  ["2001:DB8:0:0:0:0:0:1", { cn: "x", ipAddresses: ["2001:db8::1"] }, true, "IPv6 in another notation"],
  ["2001:db8::2", { cn: "x", ipAddresses: ["2001:db8::1"] }, false, "another IPv6 address"],
  ["192.0.2.7", { cn: "x", ipAddresses: ["::ffff:192.0.2.7"] }, false, "an IPv4-mapped IPv6 SAN is another address"],
];

/** The same certificate as Node's TLS client sees it. */
function nodeAccepts(name: string, der: Buffer): boolean {
  const x = new X509Certificate(der);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1];
  return checkServerIdentity(name, { subject: { CN: cn }, subjectaltname: x.subjectAltName } as never) === undefined;
}

describe("host-name matching", () => {
  it.each(CASES)("%s against %j: %s (%s)", (name, names, covered) => {
    const { record } = parseCertificate(certificate(names));
    expect(matchHostName(record, name).covered).toBe(covered);
  });

  it("says what the name was compared with", () => {
    const withSan = parseCertificate(certificate({ cn: "x", dnsNames: ["a.test", "*.b.test"], ipAddresses: ["2001:db8::1"] })).record;
    expect(matchHostName(withSan, "c.test").presented).toEqual(["DNS:a.test", "DNS:*.b.test"]);
    expect(matchHostName(withSan, "2001:db8::9").presented).toEqual(["IP:2001:db8::1"]);
    const cnOnly = parseCertificate(certificate({ cn: "www.example.test" })).record;
    expect(matchHostName(cnOnly, "c.test").presented).toEqual(["CN:www.example.test"]);
  });

  it("differs from Node's checkServerIdentity exactly where RFC 6125 and the BR are stricter, or IDNA applies", () => {
    const differing = CASES.filter(([name, names, covered]) => nodeAccepts(name, certificate(names)) !== covered).map(([, , , why]) => why);
    expect(differing).toEqual([
      "partial-label wildcard (BR §7.1.2.7.12)",
      "partial-label wildcard, other side",
      "a SAN extension (IP only) hides the CN",
      "U-label name against its A-label",
    ]);
  });
});
