// Inputs the parser fuzz (./parser-fuzz.test.ts) found a parser mishandling, one case per input
// class, each asserting the behaviour of the fix.
import { describe, expect, it } from "vitest";
import { MAX_KEY_BYTES, derKey, pemKey } from "../../collectors/files/private-keys.js";
import { derShape } from "../../src/pki/private-key.js";

/** 30 84 <length> 02 01 00, then `depth` levels of BER nesting (30 80): key-shaped at the top, a nesting bomb inside. */
function keyShapedBomb(depth: number): Buffer {
  const body = Buffer.alloc(3 + depth * 4);
  body.set([0x02, 0x01, 0x00]);
  for (let i = 0; i < depth; i++) body.writeUInt16BE(0x3080, 3 + i * 2);
  const header = Buffer.of(0x30, 0x84, 0, 0, 0, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

describe("a megabyte shaped like a private key (OpenSSL's decoders cost ~10 µs a byte of nested BER, per encoding tried)", () => {
  const bomb = keyShapedBomb(256 * 1024);

  it("is recorded as too large to be a key, not handed to OpenSSL", () => {
    expect(derShape(bomb)).toBe("private-key");
    expect(derKey(bomb, false, null)).toMatchObject({ format: "pkcs8", encrypted: false, keyAlgorithm: "unknown", spkiSha256: null, error: expect.stringMatching(/larger than any private key/) });
    expect(derKey(bomb, true, "changeit")).toMatchObject({ format: "encrypted-pkcs8", access: "locked", error: expect.stringMatching(/larger than any private key/) });
    const block = { label: "RSA PRIVATE KEY", ordinal: 1, headers: { "Proc-Type": "4,ENCRYPTED" }, der: bomb, error: null };
    expect(pemKey(block, null)).toMatchObject({ format: "encrypted-traditional", encrypted: true, access: "locked", error: expect.stringMatching(/larger than any private key/) });
  });

  it("leaves the cap above the largest real key (16384-bit RSA, under 10 KiB) and small blobs to OpenSSL", () => {
    expect(MAX_KEY_BYTES).toBeGreaterThan(10 * 1024);
    const small = keyShapedBomb(16);
    expect(derKey(small, false, null).error).toMatch(/not a private key OpenSSL reads/);
  });
});
