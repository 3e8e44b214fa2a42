// Real-world and deliberately odd certificates (pyca/cryptography's vectors, in ../shared) go
// through the file collector, parser, path builder and rules: nothing crashes, every
// unparsable blob is recorded as an error where it was seen, and rules never fail.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FETCH, DEFAULT_REVOCATION, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { type Report, storedRunReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpora/pyca-x509", import.meta.url));

let dir: string;
let report: Report;
let sightingErrors: { location: string; error: string | null }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-corpus-"));
  const store = new SqliteStore(join(dir, "corpus.db"));
  const outcome = await runScan(
    store,
    {
      targetTexts: [], specs: [], ports: [], exclude: [], files: [CORPUS], trustAnchors: null, concurrency: 1,
      timeouts: { connectMs: 1000, handshakeMs: 1000 }, thresholds: DEFAULT_THRESHOLDS,
      fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: DEFAULT_REVOCATION,
    },
    { log: silentLogger, signal: new AbortController().signal },
  );
  const contents = await store.loadRun(outcome.run.id);
  sightingErrors = contents.sightings.filter((s) => s.source === "file").map((s) => ({ location: s.location, error: s.error }));
  report = storedRunReport(contents);
  await store.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const located = (suffix: string) => sightingErrors.filter((s) => s.location.endsWith(suffix));

describe("pyca-x509 corpus", () => {
  it("completes, with well-formed certificates inventoried and no rule failing", () => {
    expect(report.scan.complete).toBe(true);
    expect(report.inventory.certificates.length).toBeGreaterThan(80);
    expect(report.ruleFailures).toEqual([]);
    const subjects = report.inventory.certificates.map((c) => c.subject).join("\n");
    expect(subjects).toContain("www.cryptography.io");
    expect(subjects).toContain("DigiCert Global Root G3");
  });

  it("records each unparsable blob as an error on its sighting, with where it was found", () => {
    for (const name of ["cryptography-scts-tbs-precert.der", "custom/crl_invalid_time.der", "ocsp/resp-revoked.der"]) {
      const sightings = located(name);
      expect(sightings, name).toHaveLength(1);
      expect(sightings[0]!.error, name).toMatch(/not a parsable X\.509 certificate/);
      const entry = report.inventory.unparsable.find((u) => u.locations.some((l) => l.endsWith(name)));
      expect(entry?.error, name).toBe(sightings[0]!.error);
    }
    // Every sighting either parsed or carries its error; none is silently dropped.
    const parsedLocations = new Set(report.inventory.certificates.flatMap((c) => c.files));
    for (const s of sightingErrors) expect(parsedLocations.has(s.location) || s.error !== null, s.location).toBe(true);
  });

  it("flags the classic weak certificates of the corpus", () => {
    const md2 = report.inventory.certificates.find((c) => c.signatureAlgorithm === "md2WithRSAEncryption")!;
    expect(md2.subject).toContain("VeriSign");
    const rules = report.findings.filter((f) => f.certificate === md2.sha256).map((f) => f.ruleId);
    expect(rules).toContain("weak-signature");
    const dsa = report.inventory.certificates.find((c) => c.keyAlgorithm === "DSA");
    expect(report.findings.some((f) => f.certificate === dsa?.sha256 && f.ruleId === "weak-key")).toBe(true);
  });

  it("keeps a certificate with an undecodable extension, noting it", () => {
    expect(located("san_x400address.der")[0]?.error).toBeNull();
    expect(report.inventory.certificates.some((c) => c.files.some((f) => f.endsWith("san_x400address.der")))).toBe(true);
  });
});
