// The one signature check CRLs and OCSP responses go through: real keys and real signatures
// made with node:crypto. Each verifies with its key; a wrong key, a key of another type than the
// algorithm names, a changed message or signature, an unknown algorithm and PSS parameters node
// cannot honour are all false, never an exception. Weak hashes still verify: weak links are
// links, and rules judge them.
import { type KeyObject, constants, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS, verifySignature } from "../../src/pki/signatures.js";

const message = Buffer.from("tbsCertList or tbsResponseData, as signed");
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keys = {
  rsa,
  rsaOther: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  p256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p384: generateKeyPairSync("ec", { namedCurve: "P-384" }),
  dsa: generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }),
  ed25519: generateKeyPairSync("ed25519"),
  ed448: generateKeyPairSync("ed448"),
};
const PSS = { hash: "sha256", mgfHash: "sha256", saltLength: 32, trailerField: 1 };

interface Case {
  name: string;
  oid: string;
  pair: { publicKey: KeyObject; privateKey: KeyObject };
  signature: Buffer;
  pss?: typeof PSS;
}

const signed = (hash: string | null, pair: { privateKey: KeyObject }, pss = false): Buffer =>
  sign(hash, message, pss ? { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : pair.privateKey);

const CASES: Case[] = [
  { name: "md5WithRSAEncryption", oid: "1.2.840.113549.1.1.4", pair: keys.rsa, signature: signed("md5", keys.rsa) },
  { name: "sha1WithRSAEncryption", oid: "1.2.840.113549.1.1.5", pair: keys.rsa, signature: signed("sha1", keys.rsa) },
  { name: "sha256WithRSAEncryption", oid: "1.2.840.113549.1.1.11", pair: keys.rsa, signature: signed("sha256", keys.rsa) },
  { name: "rsassaPss", oid: "1.2.840.113549.1.1.10", pair: keys.rsa, signature: signed("sha256", keys.rsa, true), pss: PSS },
  { name: "ecdsa-with-SHA256", oid: "1.2.840.10045.4.3.2", pair: keys.p256, signature: signed("sha256", keys.p256) },
  { name: "ecdsa-with-SHA384", oid: "1.2.840.10045.4.3.3", pair: keys.p384, signature: signed("sha384", keys.p384) },
  { name: "dsa-with-sha256", oid: "2.16.840.1.101.3.4.3.2", pair: keys.dsa, signature: signed("sha256", keys.dsa) },
  { name: "Ed25519", oid: "1.3.101.112", pair: keys.ed25519, signature: signed(null, keys.ed25519) },
  { name: "Ed448", oid: "1.3.101.113", pair: keys.ed448, signature: signed(null, keys.ed448) },
];

const check = (c: Case, changes: { key?: KeyObject; oid?: string; signed?: Buffer; signature?: Buffer; pss?: typeof PSS | null } = {}) =>
  verifySignature(
    { algorithmOid: changes.oid ?? c.oid, pss: "pss" in changes ? changes.pss : (c.pss ?? null), signed: changes.signed ?? message, signature: changes.signature ?? c.signature },
    changes.key ?? c.pair.publicKey,
  );

const flipped = (b: Buffer, at: number): Buffer => {
  const copy = Buffer.from(b);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

describe("verifySignature", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: verifies with its key, and with no other", (name, c) => {
    expect(SIGNATURE_ALGORITHMS[c.oid]?.name).toBe(name);
    expect(check(c)).toBe(true);
    const other = c.pair === keys.rsa ? keys.rsaOther : keys.rsa;
    expect(check(c, { key: other.publicKey })).toBe(false);
    expect(check(c, { signed: flipped(message, 3) })).toBe(false);
    expect(check(c, { signature: flipped(c.signature, c.signature.length - 2) })).toBe(false);
    expect(check(c, { signature: Buffer.alloc(0) })).toBe(false);
  });

  it("refuses a key of another type than the algorithm names, whatever OpenSSL would accept", () => {
    const ecdsa = CASES.find((c) => c.name === "ecdsa-with-SHA256")!;
    const rsaCase = CASES.find((c) => c.name === "sha256WithRSAEncryption")!;
    // The RSA signature is genuine; the algorithm claims ECDSA: not a valid signature.
    expect(check(rsaCase, { oid: ecdsa.oid })).toBe(false);
    expect(check(ecdsa, { oid: rsaCase.oid })).toBe(false);
    expect(check(ecdsa, { key: keys.ed25519.publicKey })).toBe(false);
  });

  it("refuses unknown algorithms and PSS parameters node cannot honour", () => {
    const pss = CASES.find((c) => c.name === "rsassaPss")!;
    expect(check(pss, { oid: "1.2.3.4.5" })).toBe(false);
    expect(check(pss, { pss: null })).toBe(false);
    expect(check(pss, { pss: { ...PSS, mgfHash: "sha1" } })).toBe(false);
    expect(check(pss, { pss: { ...PSS, trailerField: 2 } })).toBe(false);
    expect(check(pss, { pss: { ...PSS, hash: "1.2.3.4" } })).toBe(false);
    expect(check(pss, { pss: { ...PSS, saltLength: 20 } })).toBe(false);
  });

  it("never throws on garbage", () => {
    for (const c of CASES) {
      expect(() => check(c, { signature: Buffer.from("30 02 01".replace(/ /g, ""), "hex") })).not.toThrow();
      expect(check(c, { signature: Buffer.alloc(4096, 0xff) })).toBe(false);
    }
  });
});
