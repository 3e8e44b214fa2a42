// The profile facts parseCertificate derives, on PKITS certificates (NIST's own encodings) and on
// certificates built to carry one defect each, checked against what OpenSSL reads from the same
// bytes where it prints them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildCertificate, type CertificateSpec } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { parseCertificate } from "../../src/pki/certificate.js";

const pkits = (name: string) => parseCertificate(readFileSync(new URL(`../../../shared/corpora/pkits/certs/${name}`, import.meta.url))).record;

const key = generateKeyPair({ kind: "ec", curve: "P-256" });
const build = (spec: Partial<CertificateSpec>) => buildCertificate({
  subject: [["CN", "profile.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey,
  notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2026-12-31T00:00:00Z"), ...spec,
}).der;

/** What OpenSSL prints for the certificate, with -text. */
const openssl = (der: Buffer) => execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-text"], { input: der }).toString();

describe("certificate profile facts", () => {
  it("reads a healthy v3 certificate", () => {
    const record = parseCertificate(build({ isCA: true, keyUsage: ["keyCertSign"] })).record;
    expect(record.profile).toEqual({
      version: 3, serialBytes: 16, serialSign: "positive", criticalExtensions: ["basicConstraints", "keyUsage"],
      duplicateExtensions: [], emptySubject: false, emptyIssuer: false,
    });
    expect(record.keyParametersInherited).toBe(false);
  });

  it("reads PKITS' negative serial (4.4.15) and 20-octet serial (4.4.16)", () => {
    expect(pkits("InvalidNegativeSerialNumberTest15EE.crt").profile).toMatchObject({ serialSign: "negative", serialBytes: 1 });
    expect(pkits("ValidLongSerialNumberTest16EE.crt").profile).toMatchObject({ serialSign: "positive", serialBytes: 20 });
    // Serial 255 needs a sign octet: two octets, positive.
    expect(pkits("ValidNegativeSerialNumberTest14EE.crt").profile).toMatchObject({ serialSign: "positive", serialBytes: 2 });
  });

  it("names an unknown critical extension by OID and a known one by name (PKITS 4.16.2, 4.13.14)", () => {
    expect(pkits("InvalidUnknownCriticalCertificateExtensionTest2EE.crt").profile!.criticalExtensions.sort()).toEqual(["2.16.840.1.101.2.1.12.2", "keyUsage"]);
    expect(pkits("ValidDNnameConstraintsTest14EE.crt").profile).toMatchObject({ emptySubject: true, criticalExtensions: expect.arrayContaining(["subjectAltName"]) });
  });

  it("reads zero and 21-octet serials as OpenSSL prints them", () => {
    const zero = build({ serialNumber: 0n });
    expect(parseCertificate(zero).record.profile).toMatchObject({ serialSign: "zero", serialBytes: 1 });
    expect(openssl(zero)).toMatch(/Serial Number: 0 \(0x0\)/);
    const long = build({ serialNumber: 2n ** 160n });
    expect(parseCertificate(long).record.profile).toMatchObject({ serialSign: "positive", serialBytes: 21 });
    expect(openssl(long)).toMatch(/Serial Number:\s+01(:00){20}/);
  });

  it("reads a version 1 certificate, which OpenSSL prints as Version: 1", () => {
    const v1 = build({ version: 1, subjectKeyIdentifier: false });
    expect(parseCertificate(v1).record.profile).toMatchObject({ version: 1, criticalExtensions: [], duplicateExtensions: [] });
    expect(openssl(v1)).toMatch(/Version: 1 \(0x0\)/);
  });

  it("lists an extension that appears twice once", () => {
    const ski = { oid: "2.5.29.14", valueDer: Uint8Array.from([0x04, 0x02, 0x01, 0x02]) };
    const twice = build({ extraExtensions: [ski, ski] });
    expect(parseCertificate(twice).record.profile!.duplicateExtensions).toEqual(["subjectKeyIdentifier"]);
  });

  it("reads an empty issuer name", () => {
    const ca = generateKeyPair({ kind: "ec", curve: "P-256" });
    const nameless = buildCertificate({ subject: [], publicKey: ca.publicKey, selfSignKey: ca.privateKey, notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2027-01-01T00:00:00Z"), isCA: true });
    const leaf = parseCertificate(build({ selfSignKey: undefined, issuer: { certificateDer: nameless.der, privateKey: ca.privateKey } })).record;
    expect(leaf.profile).toMatchObject({ emptyIssuer: true, emptySubject: false });
  });

  it("leaves the size of a DSA key with inherited parameters unknown, and says why (PKITS 4.1.5)", () => {
    const inherited = pkits("DSAParametersInheritedCACert.crt");
    expect(inherited).toMatchObject({ keyAlgorithm: "DSA", keySize: null, keyParametersInherited: true });
    expect(inherited.parseWarnings).toEqual([expect.stringMatching(/parameters: they are inherited from the issuer's key/)]);
    expect(pkits("DSACACert.crt")).toMatchObject({ keyAlgorithm: "DSA", keySize: 1024, keyParametersInherited: false, parseWarnings: [] });
  });
});
