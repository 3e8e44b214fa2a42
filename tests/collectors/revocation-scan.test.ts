// Revocation collection inside whole scans of the sample network: --no-fetch leaves every
// source untouched and raises no reachability finding; the fetch deny list is honoured; local
// CRL files, including the odd and malformed ones of the pyca corpus, are read or rejected
// cleanly without stopping the scan.
import { readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { type ScanPlan, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { type Report, storedRunReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const CORPUS = fileURLToPath(new URL("../../../shared/corpora/pyca-x509/custom", import.meta.url));
const REACHABILITY_RULES = ["crl-unreachable", "ocsp-unreachable", "crl-slow", "ocsp-slow", "crl-stale", "ocsp-bad-response"];

let network: SampleNetwork;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-rev-"));
  network = await startSampleNetwork({ prefix: "127.87.0", port: 9443, workDir: join(dir, "net") });
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

async function scan(change: (plan: ScanPlan) => ScanPlan): Promise<Report> {
  const store = new SqliteStore(join(dir, `${Math.random()}.db`));
  const outcome = await runScan(store, change(sampleScanPlan(network, 800)), { log: silentLogger, signal: new AbortController().signal });
  const report = storedRunReport(await store.loadRun(outcome.run.id));
  await store.close();
  return report;
}

describe("revocation in scans", () => {
  it("with --no-fetch, fetches nothing, says so, and raises no reachability finding", async () => {
    const report = await scan((plan) => ({ ...plan, fetch: { ...plan.fetch, enabled: false } }));
    expect(report.inventory.crls.length).toBeGreaterThan(3);
    expect(report.inventory.crls.every((c) => c.skipped?.includes("--no-fetch") && c.crl === null)).toBe(true);
    expect(report.inventory.ocsp.filter((o) => o.source === "responder").every((o) => o.skipped !== null)).toBe(true);
    const rules = new Set(report.findings.map((f) => f.ruleId));
    for (const id of REACHABILITY_RULES) expect(rules.has(id), id).toBe(false);
    // Facts from the certificates themselves still count.
    expect(rules.has("no-revocation-info")).toBe(true);
  });

  it("honours the fetch deny list for CRL and OCSP URLs", async () => {
    const report = await scan((plan) => ({ ...plan, fetch: { ...plan.fetch, deny: [`${network.cidr.split("/")[0]!.replace(/\.0$/, ".1")}`] } }));
    expect(report.inventory.crls.every((c) => c.skipped?.includes("denied"))).toBe(true);
    expect(report.findings.some((f) => f.ruleId === "crl-unreachable")).toBe(false);
  });

  it("reads local CRL files, odd and malformed ones included, without stopping", async () => {
    const garbage = join(dir, "garbage.crl");
    await writeFile(garbage, Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01]));
    const corpus = readdirSync(CORPUS).filter((f) => /crl/i.test(f) && !f.startsWith("cdp_")).map((f) => join(CORPUS, f));
    const report = await scan((plan) => ({
      ...plan, specs: [], targetTexts: [], files: [], revocation: { ...plan.revocation, crlFiles: [...corpus, garbage, join(dir, "absent.crl")] },
    }));
    expect(report.scan.complete).toBe(true);
    const byFile = new Map(report.inventory.crls.map((c) => [c.url, c]));
    expect(byFile.size).toBe(corpus.length + 2);
    expect(byFile.get(garbage)!.error).toMatch(/^unparsable CRL/);
    expect(byFile.get(join(dir, "absent.crl"))!.error).toContain("ENOENT");
    expect(byFile.get(join(CORPUS, "crl_almost_10k.pem"))!.crl!.entryCount).toBeGreaterThan(9000);
    expect(byFile.get(join(CORPUS, "crl_empty.pem"))!.crl!.entryCount).toBe(0);
    // A partitioned CRL's critical issuingDistributionPoint is interpreted (it scopes the CRL), not flagged.
    expect(byFile.get(join(CORPUS, "crl_idp_fullname_only.pem"))!.crl!.unhandledCriticalExtensions).toEqual([]);
    expect(byFile.get(join(CORPUS, "crl_empty.pem"))!.crl!.unhandledCriticalExtensions).toEqual([]);
    // A file is judged for what it holds (the corpus CRLs are years old), never as unreachable.
    const fileRules = new Set(report.findings.filter((f) => f.url !== null && byFile.has(f.url)).map((f) => f.ruleId));
    expect(fileRules.has("crl-stale")).toBe(true);
    expect(fileRules.has("crl-unreachable")).toBe(false);
  });
});
