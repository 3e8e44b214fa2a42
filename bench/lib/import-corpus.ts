// A corpus of N imported certificates for benchmarks: an Ed25519 root and issuing CA, and N
// P-256 server certificates (each its own key, serial, name and SAN) in PEM files of 1,000.
// Building each leaf with the fixture builder takes about 4 ms (100,000 would take minutes), so
// leaves are stamped from one template: the serial, the name (fixed width) and the public key are
// patched in the TBS bytes, which is then signed again. Ed25519 signatures have a fixed length,
// so the certificate's lengths do not change. Cached: a corpus already built is reused.
import { type KeyObject, generateKeyPairSync, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildCertificate, toPem } from "../../fixtures/lib/certificate-builder.js";

const PER_FILE = 1_000;
const NAME_DIGITS = 8;
const TEMPLATE_SERIAL = 0x7e5e_a1a1_7e5e_a1a1_7e5e_a1a1_7e5e_a1a1n;

export interface ImportCorpus {
  dir: string;
  count: number;
  /** How long building it took, or null when the cached corpus was reused. */
  buildMs: number | null;
}

export async function importCorpus(root: string, count: number): Promise<ImportCorpus> {
  const dir = join(root, `import-${count}`);
  const marker = join(dir, "complete.json");
  if (existsSync(marker) && (JSON.parse(await readFile(marker, "utf8")) as { count: number }).count === count) {
    return { dir, count, buildMs: null };
  }
  const started = performance.now();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const validity = { notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2036-01-01T00:00:00Z") };
  const rootKey = generateKeyPairSync("ed25519");
  const caRoot = buildCertificate({
    subject: [["O", "pkiscope bench"], ["CN", "Bench Root CA"]], publicKey: rootKey.publicKey, selfSignKey: rootKey.privateKey,
    isCA: true, keyUsage: ["keyCertSign", "cRLSign"], ...validity,
  });
  const issuingKey = generateKeyPairSync("ed25519");
  const issuing = buildCertificate({
    subject: [["O", "pkiscope bench"], ["CN", "Bench Issuing CA"]], publicKey: issuingKey.publicKey,
    issuer: { certificateDer: caRoot.der, privateKey: rootKey.privateKey }, isCA: true, pathLength: 0,
    keyUsage: ["keyCertSign", "cRLSign"], ...validity,
  });
  await writeFile(join(dir, "cas.pem"), `${caRoot.pem}${issuing.pem}`);

  const name = (i: number): string => `h${String(i).padStart(NAME_DIGITS - 1, "0")}`;
  const templateKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const template = buildCertificate({
    subject: [["O", "pkiscope bench"], ["CN", `${name(0)}.bench.test`]], publicKey: templateKey.publicKey,
    issuer: { certificateDer: issuing.der, privateKey: issuingKey.privateKey }, serialNumber: TEMPLATE_SERIAL,
    notBefore: new Date("2026-06-01T00:00:00Z"), notAfter: new Date("2027-06-01T00:00:00Z"),
    isCA: false, keyUsage: ["digitalSignature"], extKeyUsage: ["serverAuth"], dnsNames: [`${name(0)}.bench.test`],
    crlDistributionPoints: ["http://127.0.0.1:9/bench.crl"], subjectKeyIdentifier: false,
  }).der;
  const stamp = leafStamper(template, spkiOf(templateKey.publicKey), name(0));
  for (let file = 0; file * PER_FILE < count; file++) {
    const pems: string[] = [];
    for (let i = file * PER_FILE; i < Math.min(count, (file + 1) * PER_FILE); i++) {
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
      pems.push(toPem(stamp(i + 1, name(i + 1), spkiOf(key), issuingKey.privateKey)));
    }
    await writeFile(join(dir, `leaves-${String(file).padStart(4, "0")}.pem`), pems.join(""));
  }
  await writeFile(marker, JSON.stringify({ count }));
  return { dir, count, buildMs: performance.now() - started };
}

/** `pkiscope scan` arguments that import a corpus into a store: files only, nothing fetched, no report files. */
export function importScanArgs(corpus: ImportCorpus, db: string): string[] {
  return ["scan", "--files", corpus.dir, "--no-fetch", "--no-revocation", "--no-report", "--db", db, "-q"];
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

/** Patches serial, name and key into the template's TBS and signs it again (Ed25519). */
function leafStamper(template: Buffer, templateSpki: Buffer, templateName: string) {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }; both the
  // outer and the TBS SEQUENCE use two-byte lengths (30 82 hh ll) at these sizes.
  const tbsLength = 4 + template.readUInt16BE(6);
  const tbs = template.subarray(4, 4 + tbsLength);
  const tail = template.subarray(4 + tbsLength, template.length - 64);
  const serialBytes = Buffer.from(TEMPLATE_SERIAL.toString(16), "hex");
  const at = (needle: Buffer, from = 0): number => {
    const i = tbs.indexOf(needle, from);
    if (i < 0) throw new Error("template field not found");
    return i;
  };
  const serialAt = at(serialBytes);
  const spkiAt = at(templateSpki);
  const nameBytes = Buffer.from(templateName, "latin1");
  const nameAts: number[] = [];
  for (let i = tbs.indexOf(nameBytes); i >= 0; i = tbs.indexOf(nameBytes, i + 1)) nameAts.push(i);
  return (serial: number, leafName: string, spki: Buffer, issuerKey: KeyObject): Buffer => {
    const patched = Buffer.from(tbs);
    // Keep the first byte (positive, non-zero): the serial stays 16 bytes.
    patched.writeUIntBE(serial, serialAt + serialBytes.length - 6, 6);
    spki.copy(patched, spkiAt);
    for (const i of nameAts) patched.write(leafName, i, "latin1");
    return Buffer.concat([template.subarray(0, 4), patched, tail, sign(null, patched, issuerKey)]);
  };
}
