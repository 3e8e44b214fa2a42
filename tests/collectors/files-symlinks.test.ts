// The file collector follows symbolic links as Debian's /etc/ssl/certs needs (a directory of
// links, hash links to those links): real links in a temporary tree, to a file, to a directory,
// two to one file, a link back to a parent directory, a link to itself, a dangling one.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { collectFiles } from "./file-collection.js";

let dir: string;
const certs = ["a", "b", "c"].map((name) => {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  return buildCertificate({
    subject: [["CN", `${name}.test`]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000 * 30),
  });
});

/**
 * real/a.pem, real/b.der, real/sub/c.pem, real/sub/back -> .. (a link to its parent directory),
 * and certs/, the directory scanned: A.pem -> ../real/a.pem, 5ad3e5c1.0 -> A.pem (a hash link
 * to the link), b.der -> ../real/b.der, sub -> ../real/sub, loop -> . (itself), self.pem ->
 * self.pem, dangling.pem -> ../real/missing.pem.
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-links-"));
  await mkdir(join(dir, "real", "sub"), { recursive: true });
  await mkdir(join(dir, "certs"));
  await writeFile(join(dir, "real", "a.pem"), certs[0]!.pem);
  await writeFile(join(dir, "real", "b.der"), certs[1]!.der);
  await writeFile(join(dir, "real", "sub", "c.pem"), certs[2]!.pem);
  await symlink("..", join(dir, "real", "sub", "back"));
  const links: [string, string][] = [
    ["A.pem", "../real/a.pem"], ["5ad3e5c1.0", "A.pem"], ["b.der", "../real/b.der"], ["sub", "../real/sub"],
    ["loop", "."], ["self.pem", "self.pem"], ["dangling.pem", "../real/missing.pem"],
  ];
  for (const [name, target] of links) await symlink(target, join(dir, "certs", name));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const relative = (path: string): string => path.slice(dir.length + 1);

describe("file collector and symbolic links", () => {
  it("reads every file once through its links, never loops, and names each broken link", async () => {
    const { tally, contents, warnings } = await collectFiles(dir, [join(dir, "certs")]);
    // In name order: 5ad3e5c1.0 reaches a.pem first; A.pem, loop (certs), and a.pem, b.der and sub under sub/back (real) are already read.
    expect(contents.sightings.map((s) => [relative(s.location), s.error])).toEqual([
      ["certs/5ad3e5c1.0", null], ["certs/b.der", null], ["certs/sub/c.pem", null],
    ]);
    expect(contents.certificates.map((c) => c.record?.subject).sort()).toEqual(["CN=a.test", "CN=b.test", "CN=c.test"]);
    expect(tally).toEqual({ imported: 3, "already-read": 5, unreadable: 2 });
    expect(warnings.map((w) => w.replaceAll(`${dir}/`, ""))).toEqual([
      "cannot read certs/dangling.pem: broken symbolic link to ../real/missing.pem (a missing file)",
      "cannot read certs/self.pem: broken symbolic link to self.pem (a cycle of symbolic links)",
    ]);
  });

  it("takes a link as a root, and reads nothing twice across roots", async () => {
    const { tally, contents } = await collectFiles(dir, [join(dir, "certs", "A.pem"), join(dir, "real"), join(dir, "certs", "sub")]);
    expect(contents.sightings.map((s) => relative(s.location))).toEqual(["certs/A.pem", "real/b.der", "real/sub/c.pem"]);
    // real/a.pem; real/sub/back (real itself); certs/sub (real/sub).
    expect(tally).toEqual({ imported: 3, "already-read": 3 });
  });

  it("names a dangling link given as a root", async () => {
    const { tally, warnings } = await collectFiles(dir, [join(dir, "certs", "dangling.pem")]);
    expect(tally).toEqual({ unreadable: 1 });
    expect(warnings).toEqual([`cannot read ${join(dir, "certs", "dangling.pem")}: broken symbolic link to ../real/missing.pem (a missing file)`]);
  });
});
