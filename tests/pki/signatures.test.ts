// The one signature check CRLs and OCSP responses go through, with real keys and real signatures
// made by node:crypto. Each verifies with its key; a wrong key, a key of another type than the
// algorithm names, a changed message or signature, an unknown algorithm and RSASSA-PSS parameters
// that are garbage or ask for what node cannot do are all false, never an exception. Weak hashes
// still verify: weak links are links, and rules judge them. Certificates, which path building
// checks with X509Certificate.verify, verify alike through both.
import { type KeyObject, constants, createSecretKey, generateKeyPairSync, getHashes, sign, X509Certificate } from "node:crypto";
import * as pkijs from "pkijs";
import { describe, expect, it } from "vitest";
import { buildCertificate, type HashName } from "../../fixtures/lib/certificate-builder.js";
import {
  certificateSignedData,
  describeSignatureAlgorithm,
  pssParameters,
  SIGNATURE_ALGORITHMS,
  signatureAlgorithmSupported,
  verifySignature,
} from "../../src/pki/signatures.js";

type Pair = { publicKey: KeyObject; privateKey: KeyObject };

const message = Buffer.from("tbsCertList or tbsResponseData, as signed");
const keys = {
  rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  rsaOther: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  rsaPss: generateKeyPairSync("rsa-pss", { modulusLength: 2048 }),
  p256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p256Other: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p384: generateKeyPairSync("ec", { namedCurve: "P-384" }),
  dsa: generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }),
  dsaOther: generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }),
  ed25519: generateKeyPairSync("ed25519"),
  ed25519Other: generateKeyPairSync("ed25519"),
  ed448: generateKeyPairSync("ed448"),
  ed448Other: generateKeyPairSync("ed448"),
};

// ---------------------------------------------------------------------------------------------
// A little DER, to write AlgorithmIdentifiers (good and bad) by hand.

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ""), "hex");
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const OID = {
  rsassaPss: hex("06 09 2a864886f70d01010a"),
  mgf1: hex("06 09 2a864886f70d010108"),
  sha256WithRSA: hex("06 09 2a864886f70d01010b"),
  sha1: hex("06 05 2b0e03021a"),
  sha256: hex("06 09 608648016503040201"),
  sha384: hex("06 09 608648016503040202"),
  unknown: hex("06 03 2a0304"),
};
const NULL = hex("0500");
const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const integer = (...bytes: number[]): Buffer => tlv(0x02, Buffer.from(bytes));
const hashAlgorithm = (oid: Buffer): Buffer => sequence(oid, NULL);
const mgf1 = (hashOid: Buffer): Buffer => sequence(OID.mgf1, hashAlgorithm(hashOid));
const pssAlgorithm = (...parameters: Buffer[]): Buffer => sequence(OID.rsassaPss, ...parameters);
/** [0] hash, [1] mask, [2] salt, [3] trailer, each given only when not null. */
function pssFields(hash: Buffer | null, mask: Buffer | null, salt: Buffer | null, trailer: Buffer | null = null): Buffer {
  const fields = [hash, mask, salt, trailer].flatMap((field, n) => (field === null ? [] : [tlv(0xa0 + n, field)]));
  return sequence(...fields);
}
const PSS_SHA256 = pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(32)));
const PSS_SHA384 = pssAlgorithm(pssFields(hashAlgorithm(OID.sha384), mgf1(OID.sha384), integer(48)));

// ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  oid: string;
  algorithmDer?: Buffer;
  pair: Pair;
  /** Same type, other key. */
  other: Pair;
  /** A key of another type than the algorithm names. */
  foreign: Pair;
  signature: Buffer;
}

const pkcs1 = (hash: string, pair: Pair): Buffer => sign(hash, message, pair.privateKey);
const pssSigned = (hash: string, pair: Pair, saltLength: number): Buffer =>
  sign(hash, message, { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
const rsaCase = (name: string, oid: string, hash: string): Case => ({ name, oid, pair: keys.rsa, other: keys.rsaOther, foreign: keys.p256, signature: pkcs1(hash, keys.rsa) });

const CASES: Case[] = [
  rsaCase("md5WithRSAEncryption", "1.2.840.113549.1.1.4", "md5"),
  rsaCase("sha1WithRSAEncryption", "1.2.840.113549.1.1.5", "sha1"),
  rsaCase("sha224WithRSAEncryption", "1.2.840.113549.1.1.14", "sha224"),
  rsaCase("sha256WithRSAEncryption", "1.2.840.113549.1.1.11", "sha256"),
  rsaCase("sha384WithRSAEncryption", "1.2.840.113549.1.1.12", "sha384"),
  rsaCase("sha512WithRSAEncryption", "1.2.840.113549.1.1.13", "sha512"),
  { name: "rsassaPss", oid: "1.2.840.113549.1.1.10", algorithmDer: PSS_SHA256, pair: keys.rsa, other: keys.rsaOther, foreign: keys.p256, signature: pssSigned("sha256", keys.rsa, 32) },
  { name: "rsassaPss", oid: "1.2.840.113549.1.1.10", algorithmDer: PSS_SHA384, pair: keys.rsaPss, other: keys.rsa, foreign: keys.ed25519, signature: pssSigned("sha384", keys.rsaPss, 48) },
  { name: "ecdsa-with-SHA1", oid: "1.2.840.10045.4.1", pair: keys.p256, other: keys.p256Other, foreign: keys.rsa, signature: pkcs1("sha1", keys.p256) },
  { name: "ecdsa-with-SHA256", oid: "1.2.840.10045.4.3.2", pair: keys.p256, other: keys.p256Other, foreign: keys.rsa, signature: pkcs1("sha256", keys.p256) },
  { name: "ecdsa-with-SHA384", oid: "1.2.840.10045.4.3.3", pair: keys.p384, other: keys.p256, foreign: keys.dsa, signature: pkcs1("sha384", keys.p384) },
  { name: "dsa-with-sha1", oid: "1.2.840.10040.4.3", pair: keys.dsa, other: keys.dsaOther, foreign: keys.rsa, signature: pkcs1("sha1", keys.dsa) },
  { name: "dsa-with-sha256", oid: "2.16.840.1.101.3.4.3.2", pair: keys.dsa, other: keys.dsaOther, foreign: keys.p256, signature: pkcs1("sha256", keys.dsa) },
  { name: "Ed25519", oid: "1.3.101.112", pair: keys.ed25519, other: keys.ed25519Other, foreign: keys.ed448, signature: sign(null, message, keys.ed25519.privateKey) },
  { name: "Ed448", oid: "1.3.101.113", pair: keys.ed448, other: keys.ed448Other, foreign: keys.ed25519, signature: sign(null, message, keys.ed448.privateKey) },
];

const check = (c: Case, changes: { key?: KeyObject; oid?: string; algorithmDer?: Buffer | null; signed?: Buffer; signature?: Buffer } = {}): boolean =>
  verifySignature(
    {
      algorithmOid: changes.oid ?? c.oid,
      algorithmDer: "algorithmDer" in changes ? changes.algorithmDer : (c.algorithmDer ?? null),
      signed: changes.signed ?? message,
      signature: changes.signature ?? c.signature,
    },
    changes.key ?? c.pair.publicKey,
  );

const flipped = (bytes: Buffer, at: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

const label = (c: Case): string => `${c.name}, ${c.pair.publicKey.asymmetricKeyType} key`;

describe("verifySignature", () => {
  it.each(CASES.map((c) => [label(c), c] as const))("%s: verifies with its key only", (_, c) => {
    expect(SIGNATURE_ALGORITHMS[c.oid]?.name).toBe(c.name);
    expect(signatureAlgorithmSupported(c.oid, c.algorithmDer)).toBe(true);
    expect(check(c)).toBe(true);
    expect(check(c, { key: c.other.publicKey })).toBe(false);
    expect(check(c, { key: c.foreign.publicKey })).toBe(false);
    expect(check(c, { signed: flipped(message, 3) })).toBe(false);
    expect(check(c, { signed: Buffer.concat([message, Buffer.from([0])]) })).toBe(false);
    expect(check(c, { signature: flipped(c.signature, c.signature.length - 2) })).toBe(false);
    expect(check(c, { signature: flipped(c.signature, 0) })).toBe(false);
    expect(check(c, { signature: c.signature.subarray(0, c.signature.length - 1) })).toBe(false);
    expect(check(c, { signature: Buffer.alloc(0) })).toBe(false);
    expect(check(c, { oid: "1.2.3.4.5" })).toBe(false);
  });

  it("MD5 and SHA-1 RSA signatures still verify: weak links are still links", () => {
    for (const name of ["md5WithRSAEncryption", "sha1WithRSAEncryption"]) {
      expect(check(CASES.find((c) => c.name === name)!)).toBe(true);
    }
  });

  it("never takes one algorithm for another: the key type must be one the algorithm names", () => {
    const byName = (name: string): Case => CASES.find((c) => c.name === name)!;
    const rsaSha256 = byName("sha256WithRSAEncryption");
    const ecdsaSha256 = byName("ecdsa-with-SHA256");
    // A genuine PKCS#1 signature by the RSA key, under an OID that claims ECDSA or DSA: node alone
    // would verify it, as it picks the scheme from the key.
    expect(check(rsaSha256, { oid: ecdsaSha256.oid })).toBe(false);
    expect(check(rsaSha256, { oid: "2.16.840.1.101.3.4.3.2" })).toBe(false);
    // A genuine ECDSA signature under a PKCS#1 OID, and under DSA's.
    expect(check(ecdsaSha256, { oid: rsaSha256.oid })).toBe(false);
    expect(check(ecdsaSha256, { oid: "2.16.840.1.101.3.4.3.2" })).toBe(false);
    // Ed25519 and Ed448 are not interchangeable.
    expect(check(byName("Ed25519"), { oid: "1.3.101.113" })).toBe(false);
    // A PSS-only key is refused for PKCS#1 v1.5; a plain RSA key may sign PSS (the cases above).
    expect(verifySignature({ algorithmOid: rsaSha256.oid, signed: message, signature: pkcs1("sha256", keys.rsa) }, keys.rsaPss.publicKey)).toBe(false);
    // A PKCS#1 signature presented as PSS.
    expect(check(rsaSha256, { oid: "1.2.840.113549.1.1.10", algorithmDer: PSS_SHA256 })).toBe(false);
  });

  it("refuses keys that are not public keys, never throwing", () => {
    const c = CASES[0]!;
    expect(check(c, { key: createSecretKey(Buffer.alloc(32, 1)) })).toBe(false);
    expect(check(c, { key: {} as KeyObject })).toBe(false);
    // Not through check(), whose ?? would put the case's own key in place of null.
    expect(verifySignature({ algorithmOid: c.oid, signed: message, signature: c.signature }, null as unknown as KeyObject)).toBe(false);
  });

  it("MD2 and MD4 RSA signatures verify only where OpenSSL still has the hash", () => {
    for (const [oid, hash] of [["1.2.840.113549.1.1.2", "md2"], ["1.2.840.113549.1.1.3", "md4"]] as const) {
      const available = getHashes().includes(hash);
      expect(signatureAlgorithmSupported(oid)).toBe(available);
      const signature = available ? sign(hash, message, keys.rsa.privateKey) : Buffer.alloc(256, 1);
      expect(verifySignature({ algorithmOid: oid, signed: message, signature }, keys.rsa.publicKey)).toBe(available);
    }
  });

  it("reads only RSASSA-PSS parameters: other algorithms ignore what algorithmDer holds", () => {
    const c = CASES.find((k) => k.name === "sha256WithRSAEncryption")!;
    expect(check(c, { algorithmDer: hex("ffff") })).toBe(true);
  });

  const pssCase = CASES.find((c) => c.name === "rsassaPss")!; // sha256, MGF1-sha256, salt 32
  const wholePss = PSS_SHA256;
  const GARBAGE_PSS: Array<[string, Buffer | null]> = [
    ["no AlgorithmIdentifier", null],
    ["empty bytes", Buffer.alloc(0)],
    ["random bytes", hex("deadbeef00112233")],
    ["the AlgorithmIdentifier truncated", wholePss.subarray(0, wholePss.length - 3)],
    ["a byte after the AlgorithmIdentifier", Buffer.concat([wholePss, hex("00")])],
    ["an AlgorithmIdentifier of another algorithm", sequence(OID.sha256WithRSA, NULL)],
    ["NULL parameters", pssAlgorithm(NULL)],
    ["two parameters", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(32)), NULL)],
    ["an element after the parameters' fields", pssAlgorithm(sequence(tlv(0xa0, hashAlgorithm(OID.sha256)), tlv(0xa1, mgf1(OID.sha256)), tlv(0xa2, integer(32)), tlv(0x04, hex("01"))))],
    ["fields out of order", pssAlgorithm(sequence(tlv(0xa2, integer(32)), tlv(0xa0, hashAlgorithm(OID.sha256)), tlv(0xa1, mgf1(OID.sha256))))],
    ["a field given twice", pssAlgorithm(sequence(tlv(0xa0, hashAlgorithm(OID.sha256)), tlv(0xa0, hashAlgorithm(OID.sha256)), tlv(0xa1, mgf1(OID.sha256)), tlv(0xa2, integer(32))))],
    ["an explicit tag holding two elements", pssAlgorithm(sequence(tlv(0xa0, hashAlgorithm(OID.sha256), NULL), tlv(0xa1, mgf1(OID.sha256)), tlv(0xa2, integer(32))))],
    ["a salt length that is not an INTEGER", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), tlv(0x04, hex("20"))))],
    // -2 is OpenSSL's "any salt length" for verification: read naively, it would accept any salt.
    ["a negative salt length (-2)", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(0xfe)))],
    ["a salt length of five bytes", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(1, 0, 0, 0, 32)))],
    ["an empty INTEGER", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), tlv(0x02)))],
    ["an indefinite length (BER)", hex(`3080 ${OID.rsassaPss.toString("hex")} 3000 0000`)],
    ["a hash AlgorithmIdentifier that is not one", pssAlgorithm(pssFields(NULL, mgf1(OID.sha256), integer(32)))],
    ["an OID whose last arc is cut", pssAlgorithm(pssFields(sequence(hex("0602 6086")), mgf1(OID.sha256), integer(32)))],
  ];
  const UNUSABLE_PSS: Array<[string, Buffer]> = [
    ["absent parameters (SHA-1 and salt 20 by default)", pssAlgorithm()],
    ["empty parameters (the same defaults)", pssAlgorithm(sequence())],
    ["another salt length", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(20)))],
    ["MGF1 over another hash", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha1), integer(32)))],
    ["a mask generation function other than MGF1", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), sequence(OID.unknown, hashAlgorithm(OID.sha256)), integer(32)))],
    ["MGF1 without its hash", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), sequence(OID.mgf1), integer(32)))],
    ["an unknown hash", pssAlgorithm(pssFields(hashAlgorithm(OID.unknown), mgf1(OID.unknown), integer(32)))],
    ["trailerField 2", pssAlgorithm(pssFields(hashAlgorithm(OID.sha256), mgf1(OID.sha256), integer(32), integer(2)))],
  ];

  it.each(GARBAGE_PSS)("RSASSA-PSS with %s: false, parameters unreadable", (_, algorithmDer) => {
    expect(() => check(pssCase, { algorithmDer })).not.toThrow();
    expect(check(pssCase, { algorithmDer })).toBe(false);
    expect(signatureAlgorithmSupported(pssCase.oid, algorithmDer)).toBe(false);
    if (algorithmDer !== null) expect(pssParameters(algorithmDer)).toBeNull();
  });

  it.each(UNUSABLE_PSS)("RSASSA-PSS with %s: false", (_, algorithmDer) => {
    expect(check(pssCase, { algorithmDer })).toBe(false);
  });

  it("RSASSA-PSS with the trailerField and hash parameters spelled out still verifies", () => {
    const explicit = pssAlgorithm(pssFields(sequence(OID.sha256), mgf1(OID.sha256), integer(0, 32), integer(1)));
    expect(check(pssCase, { algorithmDer: explicit })).toBe(true);
    const longForm = hex(`30 81 ${(wholePss.length - 2).toString(16)} ${wholePss.subarray(2).toString("hex")}`);
    expect(check(pssCase, { algorithmDer: longForm })).toBe(true);
  });

  it("never throws, whatever the signature bytes", () => {
    for (const c of CASES) {
      for (const signature of [hex("300201"), hex("3006020101020101"), Buffer.alloc(4096, 0xff), Buffer.alloc(1)]) {
        expect(() => check(c, { signature })).not.toThrow();
        expect(check(c, { signature })).toBe(false);
      }
    }
  });
});

describe("pssParameters", () => {
  it("reads the fields, and the RFC 4055 defaults for those left out", () => {
    expect(pssParameters(PSS_SHA384)).toEqual({ hash: "sha384", mgfHash: "sha384", saltLength: 48, trailerField: 1 });
    const defaults = { hash: "sha1", mgfHash: "sha1", saltLength: 20, trailerField: 1 };
    expect(pssParameters(pssAlgorithm())).toEqual(defaults);
    expect(pssParameters(pssAlgorithm(sequence()))).toEqual(defaults);
    expect(pssParameters(pssAlgorithm(pssFields(null, null, integer(0))))).toEqual({ ...defaults, saltLength: 0 });
  });

  it("keeps what it does not know visible as OIDs, for verification to refuse", () => {
    const other = pssAlgorithm(pssFields(hashAlgorithm(OID.unknown), sequence(OID.unknown), null));
    expect(pssParameters(other)).toEqual({ hash: "1.2.3.4", mgfHash: "1.2.3.4", saltLength: 20, trailerField: 1 });
  });
});

describe("describeSignatureAlgorithm", () => {
  it("names algorithms and their hashes; RSASSA-PSS's hash comes from its parameters", () => {
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.4")).toEqual({ name: "md5WithRSAEncryption", hash: "md5" });
    expect(describeSignatureAlgorithm("1.3.14.3.2.29")).toEqual({ name: "sha1WithRSAEncryption", hash: "sha1" });
    expect(describeSignatureAlgorithm("1.2.840.10045.4.3.3")).toEqual({ name: "ecdsa-with-SHA384", hash: "sha384" });
    expect(describeSignatureAlgorithm("1.3.101.113")).toEqual({ name: "Ed448", hash: null });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", PSS_SHA384)).toEqual({ name: "rsassaPss", hash: "sha384" });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", pssAlgorithm())).toEqual({ name: "rsassaPss", hash: "sha1" });
  });

  it("an unknown OID is its own name; an unknown or unreadable PSS hash is null", () => {
    expect(describeSignatureAlgorithm("1.2.3.4.5")).toEqual({ name: "1.2.3.4.5", hash: null });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10")).toEqual({ name: "rsassaPss", hash: null });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", pssAlgorithm(NULL))).toEqual({ name: "rsassaPss", hash: null });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", pssAlgorithm(pssFields(hashAlgorithm(OID.unknown), null, null)))).toEqual({ name: "rsassaPss", hash: null });
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", () => { throw new Error("cannot encode"); })).toEqual({ name: "rsassaPss", hash: null });
  });

  it("asks for the DER only when the hash is in the parameters", () => {
    let calls = 0;
    const der = (): Buffer => {
      calls++;
      return PSS_SHA256;
    };
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.11", der).hash).toBe("sha256");
    expect(calls).toBe(0);
    expect(describeSignatureAlgorithm("1.2.840.113549.1.1.10", der).hash).toBe("sha256");
    expect(calls).toBe(1);
  });
});

describe("certificate links", () => {
  // Path building verifies certificates with X509Certificate.verify (OpenSSL reads the algorithm
  // from the certificate). The same certificate, taken apart, verifies alike through
  // verifySignature, so a CA's certificates and its CRLs and OCSP answers are judged alike.
  const issuers: Array<[string, Pair, HashName, Pair]> = [
    ["RSA, MD5", keys.rsa, "md5", keys.p256],
    ["RSA, SHA-1", keys.rsa, "sha1", keys.p256],
    ["RSA, SHA-256", keys.rsa, "sha256", keys.dsa],
    ["RSASSA-PSS, SHA-256", keys.rsaPss, "sha256", keys.p256],
    ["ECDSA P-256", keys.p256, "sha256", keys.rsa],
    ["ECDSA P-384, SHA-384", keys.p384, "sha384", keys.rsa],
    ["DSA, SHA-256", keys.dsa, "sha256", keys.rsa],
    ["Ed25519", keys.ed25519, "sha256", keys.rsa],
  ];

  const openssl = (der: Buffer, key: KeyObject): boolean => {
    try {
      return new X509Certificate(der).verify(key);
    } catch {
      return false;
    }
  };

  it.each(issuers)("%s: OpenSSL and verifySignature agree", (_, issuer, hash, foreign) => {
    const der = buildCertificate({
      subject: [["CN", "signatures test CA"]],
      publicKey: issuer.publicKey,
      selfSignKey: issuer.privateKey,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2034-01-01T00:00:00Z"),
      isCA: true,
      hash,
    }).der;
    const certificate = pkijs.Certificate.fromBER(der);
    const data = {
      algorithmOid: certificate.signatureAlgorithm.algorithmId,
      algorithmDer: Buffer.from(certificate.signatureAlgorithm.toSchema().toBER()),
      signed: Buffer.from(certificate.tbsView),
      signature: Buffer.from(certificate.signatureValue.valueBlock.valueHexView),
    };
    const other = issuer === keys.rsa ? keys.rsaOther : keys.rsa;
    for (const [key, expected] of [[issuer.publicKey, true], [other.publicKey, false], [foreign.publicKey, false]] as const) {
      expect(openssl(der, key)).toBe(expected);
      expect(verifySignature(data, key)).toBe(expected);
    }
    expect(verifySignature({ ...data, signed: flipped(data.signed, 10) }, issuer.publicKey)).toBe(false);
    // certificateSignedData, as path building takes a certificate apart, finds the same parts.
    const parts = certificateSignedData(der);
    expect(parts).not.toBeNull();
    expect(parts!.algorithmsAgree).toBe(true);
    expect({ ...parts!, algorithmsAgree: undefined }).toEqual({ ...data, algorithmsAgree: undefined });
  });

  it("certificateSignedData tells a TBS algorithm other than the outer one (X509_verify refuses it) and refuses what is no certificate", () => {
    const der = buildCertificate({
      subject: [["CN", "mismatched algorithms"]], publicKey: keys.p256.publicKey, selfSignKey: keys.p256.privateKey,
      notBefore: new Date("2024-01-01T00:00:00Z"), notAfter: new Date("2034-01-01T00:00:00Z"), hash: "sha256",
    }).der;
    const sha256 = Buffer.from("06082a8648ce3d040302", "hex"); // ecdsa-with-SHA256
    const sha384 = Buffer.from("06082a8648ce3d040303", "hex"); // ecdsa-with-SHA384, same length
    const outer = der.lastIndexOf(sha256);
    expect(outer).toBeGreaterThan(der.indexOf(sha256));
    const changed = Buffer.from(der);
    sha384.copy(changed, outer);
    expect(certificateSignedData(changed)?.algorithmsAgree).toBe(false);
    expect(openssl(changed, keys.p256.publicKey)).toBe(false);
    expect(certificateSignedData(der.subarray(0, der.length - 1))).toBeNull();
    expect(certificateSignedData(Buffer.from("3000", "hex"))).toBeNull();
  });
});
