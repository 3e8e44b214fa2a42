// The file collector: PEM with text around and between blocks, DER, nested directories,
// files that hold no certificate, and unreadable paths. Symbolic links: files-symlinks.test.ts.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { collectFiles } from "./file-collection.js";

let dir: string;
const certs = Array.from({ length: 3 }, (_, i) => {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  return buildCertificate({
    subject: [["CN", `file-${i}.test`]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000 * 30),
  });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-files-"));
  await mkdir(join(dir, "store", "nested"), { recursive: true });
  await writeFile(
    join(dir, "store", "bundle.pem"),
    `Bag Attributes\n    friendlyName: first\nsubject=/CN=file-0.test\n${certs[0]!.pem}\nsome notes between\n${certs[1]!.pem}trailing text\n`,
  );
  await writeFile(join(dir, "store", "nested", "third.der"), certs[2]!.der);
  await writeFile(join(dir, "store", "nested", "README.txt"), "no certificates here\n");
  await writeFile(join(dir, "store", "nested", "broken.pem"), "-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file collector", () => {
  it("imports PEM blocks among text and DER files, records broken ones and missing paths", async () => {
    const { tally, contents, warnings } = await collectFiles(dir, [join(dir, "store"), join(dir, "missing")]);
    expect(tally).toEqual({ imported: 3, "no-certificate": 1, unreadable: 1 });
    const parsed = contents.certificates.filter((c) => c.record).map((c) => c.record!.subject).sort();
    expect(parsed).toEqual(["CN=file-0.test", "CN=file-1.test", "CN=file-2.test"]);
    const locations = contents.sightings.map((s) => s.location.slice(dir.length));
    expect(locations).toEqual(expect.arrayContaining(["/store/bundle.pem#1", "/store/bundle.pem#2", "/store/nested/third.der"]));
    const broken = contents.sightings.find((s) => s.location.endsWith("broken.pem"))!;
    expect(broken.error).toMatch(/not a parsable X\.509 certificate/);
    expect(warnings).toEqual([`cannot read ${join(dir, "missing")}: ENOENT`]);
  });
});
