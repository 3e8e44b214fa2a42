// The CRL reader against CRLs built at test time (fixtures/lib/crl-builder.ts), pyca/cryptography's
// CRL vectors and hostile input. Values are cross-checked with code that shares nothing with the
// reader: the openssl CLI, @peculiar/x509 and node:crypto.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, X509Certificate as NodeCertificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { X509Certificate as PeculiarCertificate } from "@peculiar/x509";
import { afterAll, describe, expect, it } from "vitest";
import { buildCertificate, type HashName } from "../../fixtures/lib/certificate-builder.js";
import { buildCrl, buildLargeCrl, type CrlSpec, type RevocationReason } from "../../fixtures/lib/crl-builder.js";
import { generateKeyPair, type KeyPair, type KeySpec } from "../../fixtures/lib/keys.js";
import { CrlParseError, normalizeSerial, readCrl, verifyCrlSignature, type CrlErrorCode, type CrlInfo } from "../../src/pki/crl.js";
import { parseCertificate } from "../../src/pki/certificate.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpora/pyca-x509", import.meta.url));
const CRL_CORPUS = join(CORPUS, "custom");

const workDir = mkdtempSync(join(tmpdir(), "pkiscope-crl-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

// Key generation dominates run time, so each key is made once.
const rsaKey = generateKeyPair({ kind: "rsa", bits: 2048 });
const otherRsaKey = generateKeyPair({ kind: "rsa", bits: 2048 });
const p256Key = generateKeyPair({ kind: "ec", curve: "P-256" });

/** A self-signed CA certificate for `key`, named `cn`. */
function caCertificate(key: KeyPair, cn: string, hash: HashName = "sha256"): Buffer {
  return buildCertificate({
    subject: [["CN", cn], ["O", "pkiscope tests"]],
    publicKey: key.publicKey,
    selfSignKey: key.privateKey,
    notBefore: new Date("2024-01-01T00:00:00Z"),
    notAfter: new Date("2060-01-01T00:00:00Z"),
    isCA: true,
    keyUsage: ["keyCertSign", "cRLSign"],
    hash,
  }).der;
}

const rsaCa = caCertificate(rsaKey, "CRL Test RSA CA");
const issuerOf = (certificateDer: Buffer, key: KeyPair): CrlSpec["issuer"] => ({ certificateDer, privateKey: key.privateKey });

function opensslCrlText(der: Buffer): string {
  return execFileSync("openssl", ["crl", "-inform", "DER", "-noout", "-text"], { input: der, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

/** What openssl says about a CRL, in the reader's terms. */
function opensslView(der: Buffer): { thisUpdate: string; nextUpdate: string | null; crlNumber: bigint | null; entries: number } {
  const text = opensslCrlText(der);
  const date = (label: string): string | null => {
    const value = new RegExp(`${label}: (.+)`).exec(text)?.[1]?.trim();
    return value === undefined || value === "NONE" ? null : new Date(value).toISOString();
  };
  const number = /CRL Number: *\n *(\d+)/.exec(text)?.[1];
  return {
    thisUpdate: date("Last Update")!,
    nextUpdate: date("Next Update"),
    crlNumber: number === undefined ? null : BigInt(number),
    entries: text.match(/Serial Number:/g)?.length ?? 0,
  };
}

function expectOpensslAgrees(der: Buffer, crl: CrlInfo): void {
  expect(opensslView(der)).toEqual({
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    crlNumber: crl.crlNumber === null ? null : BigInt(`0x${crl.crlNumber}`),
    entries: crl.entryCount,
  });
}

function parseError(run: () => unknown): CrlParseError {
  try {
    run();
  } catch (err) {
    if (err instanceof CrlParseError) return err;
    throw new Error(`expected a CrlParseError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected a CrlParseError, but the input was accepted");
}

describe("readCrl on built CRLs", () => {
  const revoked: NonNullable<CrlSpec["revoked"]> = [
    { serial: 1n, date: new Date("2024-05-01T10:00:00Z"), reason: "keyCompromise" },
    { serial: 0x2an, date: new Date("2024-05-02T10:00:00Z") },
    { serial: 3n, date: new Date("2051-03-04T05:06:07Z"), reason: "removeFromCRL" },
  ];
  const full = buildCrl({
    issuer: issuerOf(rsaCa, rsaKey),
    thisUpdate: new Date("2024-06-01T12:34:56.789Z"),
    nextUpdate: new Date("2050-01-01T00:00:00Z"),
    crlNumber: 0x1234n,
    revoked,
  });

  it("reads the fields of a v2 CRL, times on both sides of 2050 included", () => {
    const crl = readCrl(full.der, new Set(["01", "2A", "3", "77"]));
    const ca = parseCertificate(rsaCa).record;
    expect(crl).toMatchObject({
      version: 2,
      size: full.der.length,
      sha256: createHash("sha256").update(full.der).digest("hex"),
      issuer: ca.subject,
      thisUpdate: "2024-06-01T12:34:56.000Z",
      nextUpdate: "2050-01-01T00:00:00.000Z",
      crlNumber: "1234",
      deltaCrlIndicator: null,
      authorityKeyId: ca.subjectKeyId,
      unhandledCriticalExtensions: [],
      entryCount: 3,
      signatureAlgorithmOid: "1.2.840.113549.1.1.11",
      signatureAlgorithm: "sha256WithRSAEncryption",
      signatureHash: "sha256",
    });
    expect(crl.matches).toEqual([
      { serial: "01", negative: false, certificateIssuer: null, revocationDate: "2024-05-01T10:00:00.000Z", reason: "keyCompromise", invalidityDate: null, unhandledCriticalExtensions: [] },
      { serial: "2a", negative: false, certificateIssuer: null, revocationDate: "2024-05-02T10:00:00.000Z", reason: null, invalidityDate: null, unhandledCriticalExtensions: [] },
      { serial: "03", negative: false, certificateIssuer: null, revocationDate: "2051-03-04T05:06:07.000Z", reason: "removeFromCRL", invalidityDate: null, unhandledCriticalExtensions: [] },
    ]);
    expect(crl.signature).toHaveLength(256);
    // nextUpdate and the 2051 revocation really are GeneralizedTime, thisUpdate UTCTime.
    const asn1 = execFileSync("openssl", ["asn1parse", "-inform", "DER"], { input: full.der, encoding: "utf8" });
    expect(asn1.match(/GENERALIZEDTIME/g)).toHaveLength(2);
    expect(asn1.match(/UTCTIME/g)).toHaveLength(3);
    expectOpensslAgrees(full.der, crl);
  });

  it("reads PEM as well as DER, with text around the block", () => {
    const fromPem = readCrl(Buffer.from(`issued by the test CA\n${full.pem}trailing words\n`));
    const fromDer = readCrl(full.der);
    expect(fromPem.sha256).toBe(fromDer.sha256);
    expect(fromPem.entryCount).toBe(3);
    expect(fromPem.matches).toEqual([]);
  });

  it("reads a delta CRL without nextUpdate or authorityKeyIdentifier", () => {
    const delta = buildCrl({
      issuer: issuerOf(rsaCa, rsaKey),
      thisUpdate: new Date("2024-06-02T00:00:00Z"),
      nextUpdate: null,
      crlNumber: 0x11n,
      deltaOf: 0x10n,
      authorityKeyIdentifier: false,
    });
    const crl = readCrl(delta.der);
    expect(crl).toMatchObject({ nextUpdate: null, crlNumber: "11", deltaCrlIndicator: "10", authorityKeyId: null, entryCount: 0 });
    // deltaCRLIndicator is critical, and understood.
    expect(crl.unhandledCriticalExtensions).toEqual([]);
    expectOpensslAgrees(delta.der, crl);
  });

  it("names every RFC 5280 reason code", () => {
    const reasons: RevocationReason[] = [
      "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
      "cessationOfOperation", "certificateHold", "removeFromCRL", "privilegeWithdrawn", "aACompromise",
    ];
    const built = buildCrl({
      issuer: issuerOf(rsaCa, rsaKey),
      thisUpdate: new Date("2024-06-01T00:00:00Z"),
      revoked: reasons.map((reason, i) => ({ serial: BigInt(i + 100), date: new Date("2024-05-01T00:00:00Z"), reason })),
    });
    const crl = readCrl(built.der, new Set(reasons.map((_, i) => (i + 100).toString(16))));
    expect(crl.matches.map((m) => m.reason)).toEqual(reasons);
  });

  it("gives the issuer the name hash the inventory gives the issuing certificate's subject", () => {
    const crl = readCrl(full.der);
    const subjectDer = new Uint8Array(new PeculiarCertificate(rsaCa).subjectName.toArrayBuffer());
    expect(crl.issuerNameHash).toBe(createHash("sha256").update(subjectDer).digest("hex"));
    expect(crl.issuerNameHash).toBe(parseCertificate(rsaCa).subjectNameHash);
    expect(Buffer.compare(crl.issuerNameDer, Buffer.from(subjectDer))).toBe(0);
  });
});

describe("normalizeSerial", () => {
  it("matches a certificate whose serial needs a leading 00 in DER with its CRL entry", () => {
    const serial = 0xff00112233445566778899aabbccddeen;
    const leaf = buildCertificate({
      subject: [["CN", "revoked.test"]],
      publicKey: p256Key.publicKey,
      issuer: issuerOf(rsaCa, rsaKey),
      serialNumber: serial,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2025-01-01T00:00:00Z"),
    }).der;
    // DER pads the serial with 00 (its first bit is set); the parsers each print it their way.
    expect(leaf.includes(Buffer.from("021100ff00112233445566778899aabbccddee", "hex"))).toBe(true);
    const printed = [new PeculiarCertificate(leaf).serialNumber, parseCertificate(leaf).record.serialNumber, new NodeCertificate(leaf).serialNumber, "00:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE"];
    const built = buildCrl({ issuer: issuerOf(rsaCa, rsaKey), thisUpdate: new Date("2024-06-01T00:00:00Z"), revoked: [{ serial, date: new Date("2024-05-01T00:00:00Z") }] });
    for (const form of printed) {
      expect(normalizeSerial(form), form).toBe("ff00112233445566778899aabbccddee");
      expect(readCrl(built.der, new Set([form])).matches.map((m) => m.serial), form).toEqual(["ff00112233445566778899aabbccddee"]);
    }
  });

  it("matches a non-minimal entry serial (a stray 00 some CAs write) too", () => {
    const built = buildCrl({ issuer: issuerOf(rsaCa, rsaKey), thisUpdate: new Date("2024-06-01T00:00:00Z"), revoked: [{ serial: "00002a", date: new Date("2024-05-01T00:00:00Z") }] });
    expect(readCrl(built.der, new Set(["2a"])).matches.map((m) => m.serial)).toEqual(["2a"]);
  });

  it.each([
    ["00:FF:01", "ff01"],
    ["0", "00"],
    ["0000", "00"],
    ["abc", "0abc"],
    ["7F", "7f"],
    ["00 80", "80"],
  ])("normalizes %j to %j", (input, expected) => {
    expect(normalizeSerial(input)).toBe(expected);
  });

  it("refuses what is not hex", () => {
    expect(() => normalizeSerial("")).toThrow(TypeError);
    expect(() => normalizeSerial("12g4")).toThrow(TypeError);
  });
});

describe("verifyCrlSignature", () => {
  const cases: Array<{ label: string; key: KeySpec; hash: HashName; algorithm: string; signatureHash: string | null }> = [
    { label: "RSA-SHA256", key: { kind: "rsa", bits: 2048 }, hash: "sha256", algorithm: "sha256WithRSAEncryption", signatureHash: "sha256" },
    { label: "RSA-SHA1", key: { kind: "rsa", bits: 2048 }, hash: "sha1", algorithm: "sha1WithRSAEncryption", signatureHash: "sha1" },
    { label: "RSA-MD5", key: { kind: "rsa", bits: 2048 }, hash: "md5", algorithm: "md5WithRSAEncryption", signatureHash: "md5" },
    { label: "RSASSA-PSS-SHA384", key: { kind: "rsa-pss", bits: 2048 }, hash: "sha384", algorithm: "rsassaPss", signatureHash: "sha384" },
    { label: "ECDSA P-256", key: { kind: "ec", curve: "P-256" }, hash: "sha256", algorithm: "ecdsa-with-SHA256", signatureHash: "sha256" },
    { label: "ECDSA P-384", key: { kind: "ec", curve: "P-384" }, hash: "sha384", algorithm: "ecdsa-with-SHA384", signatureHash: "sha384" },
    { label: "DSA-2048", key: { kind: "dsa", bits: 2048 }, hash: "sha256", algorithm: "dsa-with-sha256", signatureHash: "sha256" },
    { label: "Ed25519", key: { kind: "ed25519" }, hash: "sha256", algorithm: "Ed25519", signatureHash: null },
  ];

  it.each(cases)("verifies $label with the issuer's key and nothing else, as openssl does", ({ label, key, hash, algorithm, signatureHash }) => {
    const issuerKey = generateKeyPair(key);
    const otherKey = generateKeyPair(key);
    const ca = caCertificate(issuerKey, `CRL Test ${label}`, hash);
    const built = buildCrl({
      issuer: issuerOf(ca, issuerKey),
      thisUpdate: new Date("2024-06-01T00:00:00Z"),
      crlNumber: 1n,
      revoked: [{ serial: 7n, date: new Date("2024-05-01T00:00:00Z"), reason: "superseded" }],
      hash,
    });
    const crl = readCrl(built.der);
    expect(crl.signatureAlgorithm).toBe(algorithm);
    expect(crl.signatureHash).toBe(signatureHash);
    const issuerPublicKey = new NodeCertificate(ca).publicKey;
    expect(verifyCrlSignature(crl, issuerPublicKey)).toBe(true);
    expect(verifyCrlSignature(crl, otherKey.publicKey)).toBe(false);
    // A key of another type, whatever it is, never verifies.
    expect(verifyCrlSignature(crl, key.kind === "ec" ? rsaKey.publicKey : p256Key.publicKey)).toBe(false);

    // One changed byte in the signed part: "CRL Test" becomes "cRL Test" in the issuer name.
    const tampered = Buffer.from(built.der);
    const at = tampered.indexOf("CRL Test");
    tampered[at] = tampered[at]! ^ 0x20;
    expect(verifyCrlSignature(readCrl(tampered), issuerPublicKey)).toBe(false);

    const caPath = join(workDir, `${label}.pem`);
    writeFileSync(caPath, new NodeCertificate(ca).toString());
    const opensslVerifies = (der: Buffer): boolean => {
      // openssl crl exits 0 either way; its verdict is on stderr.
      const run = spawnSync("openssl", ["crl", "-inform", "DER", "-noout", "-CAfile", caPath], { input: der, encoding: "utf8" });
      return /^verify OK$/m.test(run.stderr);
    };
    expect(opensslVerifies(built.der)).toBe(true);
    expect(opensslVerifies(tampered)).toBe(false);
  });

  it("is false for a CRL signed with another key", () => {
    const forged = buildCrl({ issuer: issuerOf(rsaCa, otherRsaKey), thisUpdate: new Date("2024-06-01T00:00:00Z") });
    const crl = readCrl(forged.der);
    expect(crl.issuerNameHash).toBe(parseCertificate(rsaCa).subjectNameHash);
    expect(verifyCrlSignature(crl, rsaKey.publicKey)).toBe(false);
    expect(verifyCrlSignature(crl, otherRsaKey.publicKey)).toBe(true);
  });
});

describe("pyca/cryptography CRL vectors", () => {
  type Outcome = { entries: number } | { error: CrlErrorCode };
  // Every CRL of the corpus and what the reader makes of it; entry counts are openssl's too
  // (checked below). Entries with serials 00-0f are decoded, so entry extensions are read.
  const EXPECTED: Readonly<Record<string, Outcome>> = {
    "crl_all_reasons.pem": { entries: 12 },
    "crl_almost_10k.pem": { entries: 9999 },
    "crl_bad_version.pem": { error: "bad-version" }, // version 2 (v3), which does not exist for CRLs
    "crl_delta_crl_indicator.pem": { entries: 0 },
    "crl_dup_entry_ext.pem": { error: "duplicate-extension" }, // two reasonCode extensions in entry 00
    "crl_empty.pem": { entries: 0 },
    "crl_empty_no_sequence.der": { entries: 0 },
    "crl_ian_aia_aki.pem": { entries: 0 },
    "crl_idp_fullname_indirect_crl.pem": { entries: 0 },
    "crl_idp_fullname_only.pem": { entries: 0 },
    "crl_idp_fullname_only_aa.pem": { entries: 0 },
    "crl_idp_fullname_only_user.pem": { entries: 0 },
    "crl_idp_only_ca.pem": { entries: 0 },
    "crl_idp_reasons_only.pem": { entries: 0 },
    "crl_idp_relative_user_all_reasons.pem": { entries: 0 },
    "crl_idp_relativename_only.pem": { entries: 0 },
    "crl_inval_cert_issuer_entry_ext.pem": { entries: 1 },
    "crl_invalid_time.der": { error: "bad-time" }, // thisUpdate "18102813516Z"
    "crl_md2_unknown_crit_entry_ext.pem": { entries: 1 },
    "crl_no_next_update.pem": { entries: 0 },
    "crl_unrecognized_extension.der": { entries: 0 },
    "crl_unsupported_reason.pem": { entries: 1 },
    "invalid_signature_crl.pem": { entries: 0 },
    "valid_signature_crl.pem": { entries: 0 },
  };
  const WANTED = new Set(Array.from({ length: 16 }, (_, i) => i.toString(16)));
  const files = readdirSync(CRL_CORPUS).filter((name) => name.startsWith("crl_") || name.endsWith("_crl.pem")).sort();
  const read = (name: string, wanted: ReadonlySet<string> = WANTED): CrlInfo => readCrl(readFileSync(join(CRL_CORPUS, name)), wanted);

  function outcome(name: string): Outcome {
    try {
      return { entries: read(name).entryCount };
    } catch (err) {
      // Anything but a CrlParseError fails the test with its own stack.
      if (!(err instanceof CrlParseError)) throw err;
      return { error: err.code };
    }
  }

  it("parses each CRL or refuses it with a CrlParseError, as recorded", () => {
    expect(files.length).toBe(Object.keys(EXPECTED).length);
    expect(Object.fromEntries(files.map((name) => [name, outcome(name)]))).toEqual(EXPECTED);
  });

  it("counts the entries openssl counts", () => {
    for (const name of files) {
      const expected = EXPECTED[name];
      if (expected === undefined || !("entries" in expected)) continue;
      const text = execFileSync("openssl", ["crl", "-inform", name.endsWith(".der") ? "DER" : "PEM", "-in", join(CRL_CORPUS, name), "-noout", "-text"], { encoding: "utf8" });
      expect(text.match(/Serial Number:/g)?.length ?? 0, name).toBe(expected.entries);
    }
  });

  it("reads the details the vectors are about", () => {
    expect(read("crl_all_reasons.pem").matches.map((m) => [m.serial, m.reason])).toEqual([
      ["00", null], ["01", "unspecified"], ["02", "keyCompromise"], ["03", "cACompromise"], ["04", "affiliationChanged"],
      ["05", "superseded"], ["06", "cessationOfOperation"], ["07", "certificateHold"], ["08", "removeFromCRL"],
      ["09", "privilegeWithdrawn"], ["0a", "aACompromise"], ["0b", "keyCompromise"],
    ]);
    expect(read("crl_all_reasons.pem").matches[1]?.invalidityDate).toBe("2015-01-01T00:00:00.000Z");
    expect(read("crl_unsupported_reason.pem").matches[0]?.reason).toBe("unrecognized(12)");
    expect(read("crl_md2_unknown_crit_entry_ext.pem")).toMatchObject({ signatureAlgorithm: "md2WithRSAEncryption", signatureHash: "md2" });
    expect(read("crl_md2_unknown_crit_entry_ext.pem").matches[0]?.unhandledCriticalExtensions).toEqual(["1.2.3.4"]);
    expect(read("crl_delta_crl_indicator.pem")).toMatchObject({ crlNumber: "ab54a98ceb1f0ad3", deltaCrlIndicator: "ab54a98ceb1f0ad2" });
    expect(read("crl_ian_aia_aki.pem").authorityKeyId).toBe("7975bb843acb2cde7a09be311b43bc1c2a4d5358");
    expect(read("crl_no_next_update.pem").nextUpdate).toBeNull();
    expect(read("crl_empty.pem")).toMatchObject({ signatureAlgorithm: "sha1WithRSAEncryption", crlNumber: "01", entryCount: 0 });
    // A scoped CRL: its critical issuingDistributionPoint is read for the caller to judge scope by.
    expect(read("crl_idp_only_ca.pem")).toMatchObject({
      unhandledCriticalExtensions: [],
      issuingDistributionPoint: { onlyCaCerts: true, onlyUserCerts: false, onlyAttributeCerts: false, indirect: false, onlySomeReasons: null },
    });
    // Entries are only decoded when wanted: unwanted, the duplicate extension goes unread.
    expect(read("crl_dup_entry_ext.pem", new Set()).entryCount).toBe(1);
  });

  it("refuses every other file of the corpus (certificates, OCSP) with a CrlParseError", () => {
    const others = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.(pem|der)$/.test(entry.name) && !files.includes(entry.name))
      .map((entry) => join(entry.parentPath, entry.name));
    expect(others.length).toBeGreaterThan(50);
    for (const path of others) expect(parseError(() => readCrl(readFileSync(path))), path).toBeInstanceOf(CrlParseError);
  });
});

describe("hostile input", () => {
  const small = buildCrl({
    issuer: issuerOf(rsaCa, rsaKey),
    thisUpdate: new Date("2024-06-01T00:00:00Z"),
    crlNumber: 9n,
    revoked: [{ serial: 1n, date: new Date("2024-05-01T00:00:00Z"), reason: "keyCompromise" }, { serial: 2n, date: new Date("2024-05-01T00:00:00Z") }],
  }).der;
  const wanted = new Set(["01", "02"]);

  it("refuses the CRL cut at every byte offset", () => {
    for (let length = 0; length < small.length; length++) {
      expect(parseError(() => readCrl(small.subarray(0, length), wanted)).code, `cut at ${length}`).toMatch(/^(not-der|truncated)$/);
    }
  });

  it("never throws anything but CrlParseError on single-byte corruptions", () => {
    for (let offset = 0; offset < small.length; offset++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const corrupted = Buffer.from(small);
        corrupted[offset] = corrupted[offset]! ^ mask;
        try {
          readCrl(corrupted, wanted);
        } catch (err) {
          expect(err, `byte ${offset} ^ ${mask}`).toBeInstanceOf(CrlParseError);
        }
      }
    }
  });

  it("refuses bad lengths, trailing bytes, swapped algorithms and broken PEM with the right code", () => {
    const content = small.subarray(4); // small's header is 30 82 xx xx
    expect(small.readUInt8(1)).toBe(0x82);
    const withHeader = (...header: number[]): Buffer => Buffer.concat([Buffer.from(header), content]);
    expect(parseError(() => readCrl(withHeader(0x30, 0x80))).code).toBe("unsupported-length");
    expect(parseError(() => readCrl(withHeader(0x30, 0x85, 0, 0, 0, 1, 0))).code).toBe("unsupported-length");
    expect(parseError(() => readCrl(withHeader(0x30, 0x84, 0x80, 0, 0, 0))).code).toBe("truncated");
    expect(parseError(() => readCrl(Buffer.concat([small, Buffer.from([0])]))).code).toBe("bad-structure");
    // The outer signatureAlgorithm says SHA-384 while the signed one says SHA-256.
    const swapped = Buffer.from(small);
    const sha256WithRsa = Buffer.from("2a864886f70d01010b", "hex");
    swapped[swapped.lastIndexOf(sha256WithRsa) + sha256WithRsa.length - 1] = 0x0c;
    expect(parseError(() => readCrl(swapped)).message).toMatch(/differs from signatureAlgorithm/);
    expect(parseError(() => readCrl(Buffer.from("-----BEGIN X509 CRL-----\nMIIB*not base64*\n-----END X509 CRL-----\n"))).code).toBe("bad-pem");
    expect(parseError(() => readCrl(Buffer.from("-----BEGIN X509 CRL-----\nMIIB"))).code).toBe("bad-pem");
    expect(parseError(() => readCrl(Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))).code).toBe("not-der");
  });

  it("fails fast on large hostile buffers", () => {
    const size = 16 * 1024 * 1024;
    // Each level claims exactly what remains: every header is consistent, but the first SEQUENCE
    // inside leaves no room for signatureAlgorithm.
    const nested = Buffer.alloc(size);
    for (let offset = 0; offset + 6 <= size; offset += 6) {
      nested[offset] = 0x30;
      nested[offset + 1] = 0x84;
      nested.writeUInt32BE(size - offset - 6, offset + 2);
    }
    // Each level claims more than remains.
    const overclaiming = Buffer.alloc(size);
    for (let offset = 0; offset + 6 <= size; offset += 6) overclaiming.set([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff], offset);
    const random = Buffer.alloc(size);
    for (let offset = 0, state = 0x2545f491; offset < size; offset += 4) {
      // xorshift32: reproducible noise.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      random.writeInt32BE(state | 0, offset);
    }
    random[0] = 0x30;
    const pemStart = Buffer.concat([Buffer.from("-----BEGIN X509 CRL-----\n"), Buffer.alloc(size, "A")]);

    const started = performance.now();
    const codes = [nested, overclaiming, random, Buffer.alloc(size), pemStart].map((buffer) => parseError(() => readCrl(buffer, wanted)).code);
    const elapsed = performance.now() - started;
    expect(codes).toEqual(["truncated", "truncated", expect.stringMatching(/^(truncated|bad-structure|unsupported-length)$/), "not-der", "bad-pem"]);
    // A sanity cap, not a benchmark: each of these stops at its first headers.
    expect(elapsed).toBeLessThan(1000);
  });
});

describe("large CRLs", () => {
  it("reads a 100k-entry CRL, finds wanted serials with their reasons, verifies its signature", () => {
    const large = buildLargeCrl({ issuer: issuerOf(rsaCa, rsaKey), thisUpdate: new Date("2024-06-01T00:00:00Z"), crlNumber: 77n, entries: 100_000 });
    const indexes = [0, 12_345, 99_990];
    const absent = "41" + "00".repeat(15);
    const started = performance.now();
    const crl = readCrl(large.der, new Set([...indexes.map((i) => large.entry(i).serial), absent]));
    const elapsed = performance.now() - started;
    expect(crl.entryCount).toBe(100_000);
    expect(crl.matches.map((m) => [m.serial, m.reason])).toEqual(indexes.map((i) => [large.entry(i).serial, large.entry(i).reason]));
    expect(large.entry(0).reason).toBe("keyCompromise");
    expect(large.entry(12_345).reason).toBeNull();
    expect(crl.matches[0]?.revocationDate).toBe("2024-06-01T00:00:00.000Z");
    expect(verifyCrlSignature(crl, rsaKey.publicKey)).toBe(true);
    expect(elapsed).toBeLessThan(5000);
    expectOpensslAgrees(large.der, crl);
  });

  it("writes sequential serials across the 00-padding boundaries openssl reads back", () => {
    const large = buildLargeCrl({ issuer: issuerOf(rsaCa, rsaKey), thisUpdate: new Date("2024-06-01T00:00:00Z"), entries: 300, serials: "sequential", firstSerial: 0x7en });
    const serials = ["7e", "7f", "80", "ff", "0100", "019b"];
    expect(serials.map((_, i) => large.entry([0, 1, 2, 129, 130, 285][i]!).serial)).toEqual(serials);
    const crl = readCrl(large.der, new Set(serials));
    expect(crl.matches.map((m) => m.serial)).toEqual(serials);
    const text = opensslCrlText(large.der);
    for (const serial of serials) expect(text).toContain(`Serial Number: ${serial.toUpperCase()}\n`);
    expect(text.match(/Serial Number:/g)).toHaveLength(300);
  });
});
