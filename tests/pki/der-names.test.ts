// Raw subject/issuer extraction: equal to a full parse's names for well-formed certificates,
// the bytes as encoded where a parser would re-encode them, and null (never a throw) on garbage.
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { certificateNames } from "../../src/pki/der-names.js";
import { certificatesInBlob } from "../../src/pki/pem.js";

const CORPUS = new URL("../../../shared/corpora/pyca-x509/", import.meta.url);
const roots = rootCertificates.flatMap((pem) => certificatesInBlob(Buffer.from(pem)));

describe("certificateNames", () => {
  it("matches the names a full parse reads, for every Mozilla root", () => {
    expect(roots.length).toBeGreaterThan(100);
    for (const der of roots) {
      const cert = new x509.X509Certificate(der);
      const names = certificateNames(der)!;
      expect(names.subject.equals(Buffer.from(cert.subjectName.toArrayBuffer()))).toBe(true);
      expect(names.issuer.equals(Buffer.from(cert.issuerName.toArrayBuffer()))).toBe(true);
    }
  });

  it("keeps a name's bytes as encoded where a parser re-encodes them (invalid UTF-8)", () => {
    const [der] = certificatesInBlob(readFileSync(new URL("utf8-dnsname.pem", CORPUS)));
    const names = certificateNames(der!)!;
    expect(names.subject.subarray(0, 1)[0]).toBe(0x30);
    const invalid = certificatesInBlob(readFileSync(new URL("custom/invalid_utf8_common_name.pem", CORPUS)))[0]!;
    const raw = certificateNames(invalid)!;
    // The CN's bytes survive as they were sent.
    expect(invalid.includes(raw.subject)).toBe(true);
  });

  it("returns null for every truncation and for garbage", () => {
    const der = roots[0]!;
    for (let cut = 0; cut < 200; cut++) expect(certificateNames(der.subarray(0, cut))).toBeNull();
    expect(certificateNames(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toBeNull();
    expect(certificateNames(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30]))).toBeNull();
    expect(certificateNames(Buffer.alloc(64, 0xff))).toBeNull();
  });
});
