import {
  generateKeyPair,
  generateKeyPairSync,
  generatePrimeSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

import {
  generateFermatKeyPair,
  generateRocaKeyPair,
  nextPrime,
  type RsaKeyPair,
} from "../../fixtures/lib/weak-rsa-keys.js";
import {
  assessRsaModulus,
  bigintFromBytes,
  bigintToBase64url,
  bigintToBytes,
  bitLength,
  detectFermat,
  detectRoca,
  gcd,
  isqrt,
  modInverse,
  modPow,
  modulusFromSpki,
  ROCA_PRIMES,
} from "../../src/pki/rsa-weakness.js";

// Published test vectors of roca-detect (github.com/crocs-muni/roca, roca/tests/): mod03.txt is
// one of its positive samples, mod04.txt a negative one, and the crafted modulus is the first of
// test_fake_mods, built to pass the per-prime residue test but not the discrete-log test.
const ROCA_MOD03 = BigInt(
  "0x9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9ea6fdc7332e9b0058c9ff2eb1fc89855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af2d3a16257eb2b2adca6ba464e5974fa92550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb45f4249a5193925f5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf4114e5ecf50034a60a412523af9e6f4aa11",
);
const ROCA_MOD04_NEGATIVE = BigInt(
  "0xaf659676197f1db06da7ac111a0a0ec175b8b7ef07192ffcd1f6b854c327785f1a7fd3db7da45cd4a31b2b2e5ce0d823a68e28c8adf1747316becce1fe5768064039ad2062260c8d1a34e0586dce9bc13090fcc9fb8b8b2c08ed3ae8d61b29818a669689a7d9c1dab053b557fb8d3f9c44faad3e18c55e739b00d3c9126558bc8e980cd2af377126ef5b1374136774b8bd370e3c1c149db395c8f99696b628b105946fea20106fe24d103ac062661a9248e8c3f628e00b308d33953aabe555132e218e74ef4b578716b4fe7cf340e8e604a319bf6e9951e1942601d34291032db54999d09e5d036dde3544ad35256bbb97d5e3fffd38166c21eae9199548853b",
);
const ROCA_CRAFTED_RESIDUES_ONLY =
  72414128973967872688332736535017614208620368242015797102796086827882754006260204061799547004983731426777596445658889886861027045033760014948048067467947960318205453778973975867532910489227970143091184725760290172935872752222320334100097730483600892686353719855397381316384244147860260153198611313067061116317n;

/** The residue test alone (roca-detect's first fingerprint), to show the crafted modulus passes it. */
function passesResidueTest(n: bigint): boolean {
  return ROCA_PRIMES.every((r) => {
    const subgroup = new Set<number>();
    for (let x = 1; !subgroup.has(x); x = (x * 65537) % r) subgroup.add(x);
    return subgroup.has(Number(n % BigInt(r)));
  });
}

function modulusOf(key: KeyObject): bigint {
  return modulusFromSpki(key.export({ type: "spki", format: "der" }));
}

function randomOdd(bits: number): bigint {
  const random = bigintFromBytes(randomBytes(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n);
  return random | (1n << BigInt(bits - 1)) | 1n;
}

function expectWorkingKeyPair({ publicKey, privateKey }: RsaKeyPair, bits: number): void {
  expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
  expect(bitLength(modulusOf(publicKey))).toBe(bits);
  const message = Buffer.from("pkiscope weak-key test vector");
  const signature = sign("sha256", message, privateKey);
  expect(verify("sha256", message, publicKey, signature)).toBe(true);
  expect(verify("sha256", Buffer.from("another message"), publicKey, signature)).toBe(false);
}

describe("BigInt helpers", () => {
  it("isqrt is the exact floor square root", () => {
    const values = Array.from({ length: 3000 }, (_, i) => BigInt(i));
    for (const bits of [52, 53, 54, 63, 64, 65, 106, 1024, 2048, 4095, 16384]) {
      const x = randomOdd(bits);
      values.push(x, x * x - 1n, x * x, x * x + 1n, (x + 1n) * (x + 1n) - 1n);
    }
    for (const n of values) {
      const root = isqrt(n);
      expect(root * root <= n && (root + 1n) * (root + 1n) > n, `isqrt(${n})`).toBe(true);
    }
    expect(() => isqrt(-1n)).toThrow(RangeError);
  });

  it("converts between integers and big-endian bytes / base64url", () => {
    expect(bigintToBytes(0n)).toEqual(Buffer.from([0]));
    expect(bigintToBytes(0x1ffn)).toEqual(Buffer.from([0x01, 0xff]));
    expect(bigintToBase64url(65537n)).toBe("AQAB");
    expect(bigintFromBytes(Buffer.from([0x00, 0x80, 0x01]))).toBe(0x8001n);
    expect(bigintFromBytes(new Uint8Array(0))).toBe(0n);
    const x = randomOdd(2048);
    expect(bigintFromBytes(bigintToBytes(x))).toBe(x);
    expect(bitLength(x)).toBe(2048);
    expect([0n, 1n, 2n, 255n, 256n].map(bitLength)).toEqual([0, 1, 2, 8, 9]);
  });

  it("computes modPow, modInverse and gcd", () => {
    expect(modPow(4n, 13n, 497n)).toBe(445n);
    expect(modPow(-2n, 3n, 7n)).toBe(6n);
    expect(modPow(5n, 0n, 1n)).toBe(0n);
    expect(modInverse(3n, 11n)).toBe(4n);
    expect(modInverse(-3n, 11n)).toBe(7n);
    expect(() => modInverse(6n, 9n)).toThrow(RangeError);
    expect(gcd(-12n, 18n)).toBe(6n);
    expect(gcd(0n, 5n)).toBe(5n);
  });
});

describe("weak-key test vectors and detection", () => {
  // A dozen ordinary keys from OpenSSL, made in parallel on libuv's thread pool.
  let normalModuli: bigint[] = [];
  beforeAll(async () => {
    const sizes = [2048, 2048, 2048, 2048, 2048, 2048, 3072, 3072, 3072, 3072, 4096, 4096];
    const pairs = await Promise.all(sizes.map((modulusLength) => promisify(generateKeyPair)("rsa", { modulusLength })));
    normalModuli = pairs.map(({ publicKey }) => modulusOf(publicKey));
  });

  it.each([2048, 1024])("generated %i-bit ROCA keys work and are detected", (bits) => {
    const pair = generateRocaKeyPair(bits);
    expectWorkingKeyPair(pair, bits);
    const n = modulusOf(pair.publicKey);
    expect(detectRoca(n)).toBe(true);
    expect(assessRsaModulus(n)).toMatchObject({ roca: true, fermatFactored: false });
  });

  it("generated Fermat keys work and are factored", () => {
    const pair = generateFermatKeyPair(2048);
    expectWorkingKeyPair(pair, 2048);
    const n = modulusOf(pair.publicKey);
    const factors = detectFermat(n);
    expect(factors).not.toBeNull();
    expect(factors!.p * factors!.q).toBe(n);
    expect(factors!.iterations).toBe(1); // a gap under 2^20 puts a = (p+q)/2 at ceil(sqrt(n))
    const jwk = pair.privateKey.export({ format: "jwk" });
    expect(new Set([bigintToBase64url(factors!.p), bigintToBase64url(factors!.q)])).toEqual(new Set([jwk.p, jwk.q]));
    expect(detectRoca(n)).toBe(false);
    const weakness = assessRsaModulus(n);
    expect(weakness.fermatFactored).toBe(true);
    expect(weakness.fermat!.gapBits).toBeLessThanOrEqual(21);
  });

  it("does not flag ordinary 2048/3072/4096-bit keys", () => {
    expect(normalModuli).toHaveLength(12);
    for (const n of normalModuli) {
      expect(detectRoca(n)).toBe(false);
      expect(detectFermat(n)).toBeNull();
      expect(assessRsaModulus(n)).toEqual({ roca: false, fermatFactored: false, fermat: null });
    }
  });

  it("agrees with roca-detect's published test moduli", () => {
    expect(detectRoca(ROCA_MOD03)).toBe(true);
    expect(detectRoca(ROCA_MOD04_NEGATIVE)).toBe(false);
    // Passes the per-prime residues, but no single exponent c gives n ≡ 65537^c (mod 167#).
    expect(passesResidueTest(ROCA_CRAFTED_RESIDUES_ONLY)).toBe(true);
    expect(detectRoca(ROCA_CRAFTED_RESIDUES_ONLY)).toBe(false);
  });

  it("flags no random odd 2048-bit number as ROCA", () => {
    for (let i = 0; i < 5000; i++) expect(detectRoca(randomOdd(2048))).toBe(false);
  });
});

describe("detectFermat iteration budget", () => {
  it("finds factors exactly at the iteration they need, and not before", () => {
    // q − p ≈ 2^516 for 1024-bit primes needs (q−p)²/(8·p) ≈ 32..64 steps: inside the default 100.
    const p = generatePrimeSync(1024, { bigint: true });
    const q = nextPrime(p + (1n << 516n));
    const n = p * q;
    const found = detectFermat(n);
    expect(found).toEqual({ p, q, iterations: expect.any(Number) });
    const needed = found!.iterations;
    expect(needed).toBeGreaterThan(1);
    expect(detectFermat(n, needed)).toEqual(found);
    expect(detectFermat(n, needed - 1)).toBeNull();
    expect(detectFermat(n, 0)).toBeNull();
  });

  it("factors a perfect square as p = q", () => {
    const p = generatePrimeSync(1024, { bigint: true });
    expect(detectFermat(p * p)).toEqual({ p, q: p, iterations: 1 });
    expect(assessRsaModulus(p * p).fermat).toEqual({ iterations: 1, gapBits: 0 });
  });

  it("rejects a nonsensical iteration budget", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => detectFermat(randomOdd(2048), bad)).toThrow(RangeError);
    }
  });
});

describe("hostile moduli", () => {
  const unusable = [0n, 1n, 2n, 3n, 15n, -15n, 1n << 2048n, (1n << 2048n) - 2n, randomOdd(255), randomOdd(16385)];

  it("are not flagged and do not throw", () => {
    for (const n of unusable) {
      expect(detectRoca(n)).toBe(false);
      expect(detectFermat(n)).toBeNull();
      expect(assessRsaModulus(n)).toEqual({ roca: false, fermatFactored: false, fermat: null });
    }
  });

  it("checks a 16384-bit modulus quickly", () => {
    const n = randomOdd(16384);
    const started = performance.now();
    expect(detectFermat(n)).toBeNull();
    expect(typeof detectRoca(n)).toBe("boolean");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("modulusFromSpki", () => {
  it("reads n from an rsaEncryption key", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(bigintToBase64url(modulusOf(publicKey))).toBe(publicKey.export({ format: "jwk" }).n);
  });

  it("reads n from an RSASSA-PSS key (which node cannot export as JWK)", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa-pss", { modulusLength: 1024 });
    const n = modulusOf(publicKey);
    expect(bitLength(n)).toBe(1024);
    // Raw RSA on a PSS signature gives back its encoded message, which ends in 0xbc (RFC 8017 9.1.1).
    const signature = bigintFromBytes(sign("sha256", Buffer.from("m"), privateKey));
    expect(modPow(signature, 65537n, n) & 0xffn).toBe(0xbcn);
  });

  it("throws on other keys and on malformed DER", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    expect(() => modulusFromSpki(ec)).toThrow(/not an RSA key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" });
    for (const bad of [Buffer.alloc(0), Buffer.from([0x30, 0x80]), rsa.subarray(0, rsa.length - 1), Buffer.alloc(300, 0xff)]) {
      expect(() => modulusFromSpki(bad)).toThrow(Error);
    }
  });
});

describe("assessRsaModulus", () => {
  it("is JSON-serialisable", () => {
    const weakness = assessRsaModulus(modulusOf(generateFermatKeyPair(1024).publicKey));
    expect(JSON.parse(JSON.stringify(weakness))).toEqual(weakness);
    expect(weakness).toEqual({ roca: false, fermatFactored: true, fermat: { iterations: 1, gapBits: expect.any(Number) } });
  });
});
