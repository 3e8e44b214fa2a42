// Detection of two RSA key-generation flaws that make a public key factorable from the modulus
// alone:
//   - ROCA (CVE-2017-15361): primes from Infineon's RSALib have a structure that shows in n.
//   - Fermat: primes so close together that Fermat's method factors n in a few steps.
// No npm package detects either (the reference tools, roca-detect and badkeys, are Python), so
// both checks and the BigInt arithmetic they need are written here. The test-vector generator
// (fixtures/lib/weak-rsa-keys.ts) imports its BigInt helpers from this file, never the reverse.

// ---------------------------------------------------------------------------------------------
// BigInt helpers (shared with the fixtures)
// ---------------------------------------------------------------------------------------------

/** Number of significant bits of a non-negative integer (0 for 0n). */
export function bitLength(n: bigint): number {
  if (n < 0n) throw new RangeError("bitLength: negative input");
  if (n === 0n) return 0;
  const hex = n.toString(16);
  // Every hex digit but the first is a full nibble; the first contributes its own bit length.
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex.charAt(0), 16)));
}

/** Big-endian unsigned bytes to an integer (DER INTEGER contents, JWK members). */
export function bigintFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`);
}

/** Minimal big-endian unsigned bytes of a non-negative integer (0n is one zero byte). */
export function bigintToBytes(n: bigint): Buffer {
  if (n < 0n) throw new RangeError("bigintToBytes: negative input");
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

/** base64url of the minimal big-endian bytes, as JWK (RFC 7518 §6.3) encodes RSA members. */
export function bigintToBase64url(n: bigint): string {
  return bigintToBytes(n).toString("base64url");
}

/** base ** exponent mod modulus, by square-and-multiply. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus <= 0n) throw new RangeError("modPow: modulus must be positive");
  if (exponent < 0n) throw new RangeError("modPow: negative exponent");
  let result = 1n % modulus;
  let b = ((base % modulus) + modulus) % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** The inverse of a modulo m (extended Euclid); throws when gcd(a, m) is not 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError("modInverse: modulus must be positive");
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new RangeError("modInverse: not invertible");
  return ((oldS % m) + m) % m;
}

/** Greatest common divisor of |a| and |b|. */
export function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** floor(sqrt(n)), exact, by Newton's method. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt: negative input");
  if (n < 2n) return n;
  // Seed from the top 52 bits with Math.sqrt: a start just above the root with ~26 correct bits,
  // so Newton (which doubles the correct bits each step) needs ~6 steps for a 2048-bit n, not 11.
  const shift = Math.max(0, (bitLength(n) - 52) & ~1); // even, so the root shifts by exactly half
  const top = Number(n >> BigInt(shift)); // < 2^53: exact as a double
  let x = BigInt(Math.floor(Math.sqrt(top + 1)) + 1) << BigInt(shift / 2);
  // From any x >= floor(sqrt(n)) the integer Newton step decreases until it reaches the root.
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Which moduli are checked at all
// ---------------------------------------------------------------------------------------------

/** Smaller "moduli" are toys (factored outright by anything); the size itself is the finding. */
const MIN_MODULUS_BITS = 256;
/** OpenSSL's OPENSSL_RSA_MAX_MODULUS_BITS: it refuses larger keys, and it caps the BigInt work
 *  a hostile certificate can cause. */
const MAX_MODULUS_BITS = 16384;

/** A real RSA modulus is odd and of sane size; anything else is not checked (false / null). */
function isCheckableModulus(n: bigint): boolean {
  if (n < 0n || (n & 1n) === 0n) return false;
  const bits = bitLength(n);
  return bits >= MIN_MODULUS_BITS && bits <= MAX_MODULUS_BITS;
}

// ---------------------------------------------------------------------------------------------
// ROCA (CVE-2017-15361)
// ---------------------------------------------------------------------------------------------

// Nemec, Sys, Svenda, Klinec, Matyas: "The Return of Coppersmith's Attack: Practical
// Factorization of Widely Used RSA Moduli", ACM CCS 2017. RSALib primes have the form
// p = k·M + (65537^a mod M), M a primorial, so n = p·q ≡ 65537^c (mod M) for c = a_p + a_q.
// The test below is roca-detect's, in its two generations:
//   1. Residues (roca-detect's original fingerprint): for each of the 38 odd primes r = 3..167,
//      n mod r must lie in the subgroup generated by 65537 mod r. Cheap, and it rejects almost
//      every normal key at the first few primes. But the 38 conditions are independent, so an
//      RSA modulus (a unit mod every r) passes all of them with probability
//      prod(|<65537 mod r>| / (r − 1)) ≈ 2^-27.8: about one honest key in 2.4·10^8.
//   2. Discrete log (roca-detect's later default, and badkeys'): the per-prime exponents c mod
//      ord_r(65537) must come from ONE exponent c, i.e. n mod 3·5·…·167 must lie in the group
//      generated by 65537. That group has 2454106387091158800 ≈ 2^61.1 elements out of
//      φ(3·5·…·167) ≈ 2^216.0 units, so a random modulus passes with probability ≈ 2^-154.9
//      (the ~2^-154 usually quoted); it also rejects moduli crafted to pass step 1 alone.
// Step 2 (~35 µs) runs only on the moduli that pass step 1, so normal keys cost ~3 µs.

/** RSALib's generator, 65537 (also the usual public exponent, by coincidence of choice). */
export const ROCA_GENERATOR = 65537;

/** The odd primes 3..167 of roca-detect's fingerprint (its primorial M = 167# also holds 2,
 *  which tells nothing: n is odd and 65537 ≡ 1 mod 2). */
export const ROCA_PRIMES: readonly number[] = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
  101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

interface RocaSubgroup {
  prime: bigint;
  order: bigint;
  log: Int16Array;
}

/** Per prime r: the order of 65537 mod r, and log[x] = c with 65537^c ≡ x (mod r), or -1 when
 *  x is outside that subgroup. Built once at load; a check is then table lookups. */
const ROCA_SUBGROUPS: readonly RocaSubgroup[] = ROCA_PRIMES.map((r) => {
  const log = new Int16Array(r).fill(-1);
  const g = ROCA_GENERATOR % r;
  let x = 1;
  let c = 0;
  do {
    log[x] = c++;
    x = (x * g) % r;
  } while (x !== 1);
  return { prime: BigInt(r), order: BigInt(c), log };
});

/** True when n carries the RSALib (ROCA) fingerprint. */
export function detectRoca(modulus: bigint): boolean {
  if (!isCheckableModulus(modulus)) return false;
  // Step 1: residues. Most normal moduli fail at one of the first primes, so this exits early.
  const exponents: { residue: bigint; modulus: bigint }[] = [];
  for (const { prime, order, log } of ROCA_SUBGROUPS) {
    const c = log[Number(modulus % prime)] ?? -1;
    if (c < 0) return false;
    exponents.push({ residue: BigInt(c), modulus: order });
  }
  // Step 2: one exponent c must satisfy c ≡ log_r(n) (mod ord_r) for every r at once.
  return isSolvable(exponents);
}

/** Whether the congruences x ≡ residue (mod modulus) have a common solution (generalised CRT:
 *  merge them one by one; two clash when they differ modulo the gcd of their moduli). */
function isSolvable(congruences: readonly { residue: bigint; modulus: bigint }[]): boolean {
  let x = 0n;
  let m = 1n;
  for (const { residue, modulus } of congruences) {
    const g = gcd(m, modulus);
    const difference = residue - x;
    if (difference % g !== 0n) return false;
    // x + m·t solves both when m·t ≡ difference (mod modulus), i.e. t ≡ (difference/g)·(m/g)^-1.
    const step = modulus / g;
    const t = (((difference / g) % step) * modInverse(m / g, step)) % step;
    x += m * t;
    m *= step;
    x = ((x % m) + m) % m;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Fermat factorisation of close primes
// ---------------------------------------------------------------------------------------------

// If p and q are close, n = a² − b² with a = (p+q)/2 just above sqrt(n) and b = (q−p)/2; trying
// a = ceil(sqrt(n)), +1, +2, ... finds them when b² = a² − n is a perfect square. badkeys
// (Hanno Böck) tries a up to isqrt(n) + 100, the same 100 candidates as the default here.
//
// Cost: almost all of it goes on keys that are not factorable, so it must be small. Each
// candidate b² is first screened by its residues mod 64, 63, 65 and 11, computed in plain Number
// arithmetic from a and n modulo their product; under 1% of candidates survive to the exact
// BigInt square root. So a check is one isqrt(n) plus about one more isqrt. Measured on
// Node 20 (2-vCPU AMD EPYC), per key that is not factorable: ~25 µs at 2048 bits, ~75 µs at
// 4096, ~1 ms at 16384 (the cap).

/** Moduli whose squares leave few residues: only 12/64, 16/63, 21/65 and 6/11 are squares. */
const SQUARE_FILTER_MODULI = [64, 63, 65, 11] as const;
/** Their product, 2 882 880: residues mod it stay exact in doubles even when squared. */
const SQUARE_FILTER_PERIOD = SQUARE_FILTER_MODULI.reduce((product, m) => product * m, 1);
const SQUARE_FILTER_PERIOD_BIG = BigInt(SQUARE_FILTER_PERIOD);
const SQUARE_RESIDUES: readonly { modulus: number; isSquare: Uint8Array }[] = SQUARE_FILTER_MODULI.map(
  (modulus) => {
    const isSquare = new Uint8Array(modulus);
    for (let x = 0; x < modulus; x++) isSquare[(x * x) % modulus] = 1;
    return { modulus, isSquare };
  },
);

/** False when x (a residue mod SQUARE_FILTER_PERIOD) cannot be the residue of a square. */
function mayBeSquare(x: number): boolean {
  return SQUARE_RESIDUES.every(({ modulus, isSquare }) => isSquare[x % modulus] === 1);
}

export interface FermatFactors {
  /** p = a − b ≤ q = a + b, p·q = n (p = q when n is a perfect square). */
  p: bigint;
  q: bigint;
  /** How many values of a were tried, the successful one included (1 = a = ceil(sqrt(n))). */
  iterations: number;
}

/** Factors n when its primes are close enough for Fermat's method within maxIterations steps. */
export function detectFermat(modulus: bigint, maxIterations = 100): FermatFactors | null {
  if (!Number.isSafeInteger(maxIterations) || maxIterations < 0) {
    throw new RangeError(`detectFermat: maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  if (!isCheckableModulus(modulus)) return null;
  const root = isqrt(modulus);
  const a0 = root * root === modulus ? root : root + 1n;
  const nResidue = Number(modulus % SQUARE_FILTER_PERIOD_BIG);
  let aResidue = Number(a0 % SQUARE_FILTER_PERIOD_BIG);
  for (let i = 0; i < maxIterations; i++) {
    // aResidue² < 2^43, so the residue of a² − n is exact; the final % keeps it non-negative.
    const difference = (aResidue * aResidue - nResidue) % SQUARE_FILTER_PERIOD;
    if (mayBeSquare((difference + SQUARE_FILTER_PERIOD) % SQUARE_FILTER_PERIOD)) {
      const a = a0 + BigInt(i);
      const bSquared = a * a - modulus;
      const b = isqrt(bSquared);
      if (b * b === bSquared) return { p: a - b, q: a + b, iterations: i + 1 };
    }
    aResidue = (aResidue + 1) % SQUARE_FILTER_PERIOD;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Modulus extraction
// ---------------------------------------------------------------------------------------------

// A minimal DER walk of SubjectPublicKeyInfo → RSAPublicKey (RFC 5280 §4.1, RFC 8017 A.1.1).
// Node's createPublicKey(...).export({format: "jwk"}) would also give n, but costs ~250 µs per
// key against ~10 µs here, and refuses RSASSA-PSS keys, which this walk accepts.

const DER_INTEGER = 0x02;
const DER_BIT_STRING = 0x03;
const DER_OID = 0x06;
const DER_SEQUENCE = 0x30;
/** rsaEncryption (1.2.840.113549.1.1.1) and id-RSASSA-PSS (1.2.840.113549.1.1.10), DER contents. */
const RSA_ALGORITHM_OIDS = ["2a864886f70d010101", "2a864886f70d01010a"];

interface DerElement {
  start: number;
  end: number;
}

/** Reads the element at offset, which must have the given tag and fit before limit. */
function readDer(der: Uint8Array, offset: number, tag: number, limit: number): DerElement {
  const byteAt = (i: number): number => {
    const byte = i < limit ? der[i] : undefined;
    if (byte === undefined) throw new Error("modulusFromSpki: truncated DER");
    return byte;
  };
  if (byteAt(offset) !== tag) {
    throw new Error(`modulusFromSpki: expected DER tag 0x${tag.toString(16)} at offset ${offset}`);
  }
  const first = byteAt(offset + 1);
  let length = first;
  let start = offset + 2;
  if (first >= 0x80) {
    // Long form; 0x80 (indefinite, BER only) and lengths over 4 bytes are not DER we accept.
    const lengthBytes = first & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4) throw new Error("modulusFromSpki: bad DER length");
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + byteAt(start + i);
    start += lengthBytes;
  }
  const end = start + length;
  if (end > limit) throw new Error("modulusFromSpki: truncated DER");
  return { start, end };
}

/** The modulus n of an RSA (or RSASSA-PSS) SubjectPublicKeyInfo; throws for other keys or bad DER. */
export function modulusFromSpki(spkiDer: Uint8Array): bigint {
  const spki = readDer(spkiDer, 0, DER_SEQUENCE, spkiDer.length);
  const algorithm = readDer(spkiDer, spki.start, DER_SEQUENCE, spki.end);
  const oid = readDer(spkiDer, algorithm.start, DER_OID, algorithm.end);
  const oidHex = Buffer.from(spkiDer.subarray(oid.start, oid.end)).toString("hex");
  if (!RSA_ALGORITHM_OIDS.includes(oidHex)) throw new Error("modulusFromSpki: not an RSA key");
  const bitString = readDer(spkiDer, algorithm.end, DER_BIT_STRING, spki.end);
  if (spkiDer[bitString.start] !== 0) throw new Error("modulusFromSpki: RSA key BIT STRING has unused bits");
  const rsaPublicKey = readDer(spkiDer, bitString.start + 1, DER_SEQUENCE, bitString.end);
  const n = readDer(spkiDer, rsaPublicKey.start, DER_INTEGER, rsaPublicKey.end);
  // Read as unsigned: some encoders drop the leading zero byte, and the weakness is in n anyway.
  return bigintFromBytes(spkiDer.subarray(n.start, n.end));
}

// ---------------------------------------------------------------------------------------------
// The inventory's record
// ---------------------------------------------------------------------------------------------

/** How Fermat's method factored the key. The factors themselves are left out on purpose: a
 *  stored report should not carry private keys, and detectFermat recovers them in microseconds. */
export interface FermatEvidence {
  iterations: number;
  /** Bit length of q − p (0 when n is a perfect square). */
  gapBits: number;
}

/** JSON-serialisable weakness facts for one modulus (fits CertificateRecord.rsaWeakness). */
export interface RsaWeakness {
  roca: boolean;
  fermatFactored: boolean;
  fermat: FermatEvidence | null;
}

/** Runs both checks. Moduli that are even, under 256 or over 16384 bits are reported clean:
 *  they are not usable RSA keys, and other rules judge size and validity. */
export function assessRsaModulus(modulus: bigint): RsaWeakness {
  const factors = detectFermat(modulus);
  return {
    roca: detectRoca(modulus),
    fermatFactored: factors !== null,
    fermat: factors && { iterations: factors.iterations, gapBits: bitLength(factors.q - factors.p) },
  };
}
