// Importing a trust store as a new user would (`pkiscope scan --files /etc/ssl/certs`): roots a
// store keeps, expired or not sanctioned here, are trust decisions, not certificates in service.
// They raise no `expired` and do not read as shadow issuance: with nothing else imported, the
// categories that count certificates in service are not assessed rather than scored 0.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toPem } from "../../fixtures/lib/certificate-builder.js";
import { DEFAULT_FETCH, DEFAULT_REVOCATION, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { caProfile, selfSigned, testKeys } from "../rules/inventory.js";

const DAY_MS = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS);
let dir: string;
let outcome: ScanOutcome;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-trust-store-"));
  const k = testKeys();
  const sanctioned = selfSigned("Sanctioned Root", k.ec(), caProfile({ notBefore: daysAgo(100), notAfter: daysAgo(-3000) }));
  const store = join(dir, "certs");
  const roots = [
    sanctioned,
    selfSigned("Old Root (expired)", k.ec(), caProfile({ notBefore: daysAgo(7300), notAfter: daysAgo(30) })),
    selfSigned("Other Vendor Root", k.ec(), caProfile({ notBefore: daysAgo(100), notAfter: daysAgo(-3000) })),
    selfSigned("Legacy Root", k.rsa2048, caProfile({ notBefore: daysAgo(100), notAfter: daysAgo(-3000), hash: "sha1" })),
  ];
  await mkdir(store);
  for (const [i, root] of roots.entries()) await writeFile(join(store, `root-${i}.pem`), toPem(root.der));
  await writeFile(join(dir, "anchors.pem"), toPem(sanctioned.der));
  const db = new SqliteStore(join(dir, "store.db"));
  try {
    // No network target, nothing fetched: the files alone.
    outcome = await runScan(db, {
      targetTexts: [], specs: [], ports: [], exclude: [], files: [store], trustAnchors: join(dir, "anchors.pem"),
      concurrency: 4, timeouts: { connectMs: 1000, handshakeMs: 1000 }, fetch: { ...DEFAULT_FETCH, enabled: false },
      revocation: { ...DEFAULT_REVOCATION, enabled: false }, thresholds: DEFAULT_THRESHOLDS, ldap: [],
    }, { log: silentLogger, signal: new AbortController().signal });
  } finally {
    await db.close();
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a trust store imported on its own", () => {
  it("reads every root and raises neither expired nor weak-signature on them", () => {
    expect(outcome.view.certificates.filter((c) => c.files.length > 0)).toHaveLength(4);
    const rules = outcome.conclusions.findings.map((f) => f.ruleId);
    expect(rules).not.toContain("expired");
    expect(rules).not.toContain("weak-signature");
  });

  it("does not read the store's roots as shadow issuance or outages: what counts certificates in service is not assessed", () => {
    const score = outcome.conclusions.maturity!;
    for (const id of ["reliability", "efficiency", "governance"] as const) {
      expect(score.categories[id].caps, id).toEqual([]);
      expect(score.categories[id].criteria.filter((c) => c.status === "failed").map((c) => c.id), id).toEqual([]);
    }
    const unsanctioned = score.categories.governance.criteria.find((c) => c.id === "governance.mostly-sanctioned")!;
    expect(unsanctioned).toMatchObject({ status: "not-assessed", metrics: { "certificates.unsanctioned-share": null } });
    expect(unsanctioned.notAssessed).toContain("--targets");
  });
});
