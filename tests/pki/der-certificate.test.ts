// The DER walk (der-certificate.ts) against @peculiar/x509's ASN.1 model: for every certificate
// of the pyca-x509 and NIST PKITS corpora, and for one certificate with each of its bytes
// altered, parseCertificate() gives the very record (or the very error) the model's reading gives,
// and path validation's tbsFacts() the very TBS facts.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ECDH, generateKeyPairSync } from "node:crypto";
import { parseCertificate, parseCertificateThroughModel, pointOnCurve } from "../../src/pki/certificate.js";
import { readCertificateFields } from "../../src/pki/der-certificate.js";
import { certificatesInBlob } from "../../src/pki/pem.js";
import { type TbsFacts, tbsFacts, tbsFactsThroughModel } from "../../src/inventory/path-validation.js";

const CORPORA = fileURLToPath(new URL("../../../shared/corpora/", import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every certificate of the corpora: DER files as they are, PEM files block by block. */
const corpus = filesUnder(CORPORA)
  .filter((path) => /\.(crt|pem|der|cer)$/.test(path))
  .flatMap((path) => {
    const bytes = readFileSync(path);
    const blocks = bytes.includes("-----BEGIN") ? certificatesInBlob(bytes) : [bytes];
    return blocks.map((der, i) => ({ name: `${path.slice(CORPORA.length)}#${i}`, der }));
  });

/** The certificate the alteration tests alter. */
const alterable = corpus.find((c) => c.name.endsWith("cryptography.io.pem#0"))!.der;

/**
 * Copies of an RSA-2048 certificate with one byte altered each: every byte but the RSA modulus'
 * and the signature's (altering those alters no structure).
 */
function* alteredCopies(der: Buffer): Generator<{ at: number; altered: Buffer }> {
  const fields = readCertificateFields(der)!;
  const keyStart = fields.keyBits.byteOffset - der.byteOffset + 16;
  const keyEnd = keyStart + fields.keyBits.length - 32;
  const signatureStart = der.length - 256 + 8;
  for (let at = 0; at < signatureStart; at++) {
    if (at >= keyStart && at < keyEnd) continue;
    const altered = Buffer.from(der);
    // The low bit alters values and tags; the high bit alters lengths' forms and unused-bit counts.
    altered[at]! ^= at % 2 === 0 ? 0x01 : 0x80;
    yield { at, altered };
  }
}

/** The record, or the error's class and message. */
function outcome(parse: (der: Buffer) => unknown, der: Buffer): unknown {
  try {
    return parse(der);
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe("parseCertificate's DER walk", () => {
  it("reads every corpus certificate as the ASN.1 model does", () => {
    expect(corpus.length).toBeGreaterThan(500);
    let walked = 0;
    for (const { name, der } of corpus) {
      if (readCertificateFields(der)) walked++;
      expect(outcome(parseCertificate, der), name).toEqual(outcome(parseCertificateThroughModel, der));
    }
    // Most take the walk, and the unusual rest the model: both readings are exercised.
    expect(walked).toBeGreaterThan(corpus.length * 0.8);
    expect(walked).toBeLessThan(corpus.length);
  });

  it("agrees with the model on a certificate with any one byte altered", () => {
    const unaltered = JSON.stringify(outcome(parseCertificate, alterable));
    let changedOutcomes = 0;
    let alterations = 0;
    for (const { at, altered } of alteredCopies(alterable)) {
      alterations++;
      const walkedOutcome = outcome(parseCertificate, altered);
      expect(walkedOutcome, `byte ${at}`).toEqual(outcome(parseCertificateThroughModel, altered));
      if (JSON.stringify(walkedOutcome) !== unaltered) changedOutcomes++;
    }
    // The alterations reach the fields: most change the record or make it an error.
    expect(alterations).toBeGreaterThan(700);
    expect(changedOutcomes).toBeGreaterThan(alterations / 2);
  });
});

describe("path validation's TBS reading (tbsFacts)", () => {
  /** A reading made comparable: extension values as hex, whatever view holds them. */
  const comparably = (read: (der: Buffer) => TbsFacts) => (der: Buffer) => {
    const facts = read(der);
    return { ...facts, extensions: facts.extensions.map((e) => ({ ...e, value: Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength).toString("hex") })) };
  };
  const walked = comparably(tbsFacts);
  const throughModel = comparably(tbsFactsThroughModel);

  it("reads every corpus certificate as the ASN.1 model does", () => {
    let withEmails = 0;
    let mismatched = 0;
    for (const { name, der } of corpus) {
      const read = outcome(walked, der) as Partial<TbsFacts>;
      expect(read, name).toEqual(outcome(throughModel, der));
      if (read.subjectEmails?.length) withEmails++;
      if (read.algorithmMismatch) mismatched++;
    }
    // Subject emailAddress attributes and differing signature algorithms are both read.
    expect(withEmails).toBeGreaterThan(0);
    expect(mismatched).toBeGreaterThan(0);
  });

  it("agrees with the model on a certificate with any one byte altered", () => {
    let alterations = 0;
    for (const { at, altered } of alteredCopies(alterable)) {
      alterations++;
      expect(outcome(walked, altered), `byte ${at}`).toEqual(outcome(throughModel, altered));
    }
    expect(alterations).toBeGreaterThan(700);
  });
});

describe("pointOnCurve", () => {
  const convertKeyAccepts = (point: Uint8Array, curve: string): boolean => {
    try {
      ECDH.convertKey(point, curve);
      return true;
    } catch {
      return false;
    }
  };

  it("judges P-256, P-384 and P-521 points as OpenSSL's ECDH.convertKey does", () => {
    for (const [namedCurve, opensslName] of [["P-256", "prime256v1"], ["P-384", "secp384r1"], ["P-521", "secp521r1"]] as const) {
      for (let i = 0; i < 20; i++) {
        const jwk = generateKeyPairSync("ec", { namedCurve }).publicKey.export({ format: "jwk" });
        const [x, y] = [Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")];
        const point = Buffer.concat([Buffer.from([0x04]), x, y]);
        const offCurve = Buffer.from(point);
        offCurve[offCurve.length - 1]! ^= 0x01;
        const compressed = Buffer.concat([Buffer.from([0x02 + (y[y.length - 1]! & 1)]), x]);
        for (const [candidate, expected] of [[point, true], [offCurve, false], [compressed, true], [point.subarray(1), false]] as const) {
          expect(pointOnCurve(candidate, opensslName), `${namedCurve} ${candidate.toString("hex")}`).toBe(expected);
          expect(convertKeyAccepts(candidate, opensslName)).toBe(expected);
        }
      }
    }
  });

  it("refuses coordinates not below the field prime, as OpenSSL does", () => {
    const p = Buffer.from("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", "hex");
    const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
    const point = Buffer.concat([Buffer.from([0x04]), p, Buffer.from(jwk.y!, "base64url")]);
    expect(pointOnCurve(point, "prime256v1")).toBe(false);
    expect(convertKeyAccepts(point, "prime256v1")).toBe(false);
  });
});
