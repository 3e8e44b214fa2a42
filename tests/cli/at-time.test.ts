// --at TIME on the real sample network: a certificate valid today is judged expired as of a
// moment after its notAfter, and expiring-soon, CRL freshness (crl-stale, crl-expiring) and OCSP
// freshness (fetched and stapled answers) move with it, on `scan --at` and on `report --at` over
// a stored run; the re-judgement is never saved over the run's own conclusions, and a bad TIME
// is a one-line usage error.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import type { Report } from "../../src/reports/report-model.js";
import { runInProcess } from "./cli-helpers.js";

const DAY_MS = 86_400_000;

let network: SampleNetwork;
let dir: string;
let db: string;
/** The scan as of now, its report as written, and what the sample's healthy endpoints hold. */
let today: Report;
let healthyLeaf: string;
let stapledLeaf: string;
let leafNotAfter: number;
let crlNextUpdate: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-at-"));
  db = join(dir, "at.db");
  network = await startSampleNetwork({ prefix: "127.105.0", port: 9481, workDir: join(dir, "net") });
  const result = await runInProcess(scanArgs("today"));
  expect(result.code, result.stderr).toBe(0);
  today = await reportIn("today");
  const leafAt = (name: string): string => {
    const address = network.endpoints.find((e) => e.identity?.name === name)!.address;
    return today.inventory.endpoints.find((e) => e.address === address)!.chain[0]!;
  };
  healthyLeaf = leafAt("healthy-rsa");
  stapledLeaf = leafAt("stapled");
  leafNotAfter = Date.parse(today.inventory.certificates.find((c) => c.sha256 === healthyLeaf)!.notAfter);
  crlNextUpdate = Date.parse(issuingCrl(today).crl!.nextUpdate!);
}, 180_000);

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The two healthy endpoints: both leaves' OCSP answers are fetched, and one server staples its answer too. */
function scanArgs(out: string, extra: string[] = []): string[] {
  const address = (name: string) => network.endpoints.find((e) => e.identity?.name === name)!.address;
  return [
    "scan", "--targets", `${address("healthy-rsa")},${address("stapled")}`, "--ports", String(network.port),
    "--trust-anchors", network.trustAnchorsPath, "--handshake-timeout", "3000", "--connect-timeout", "3000",
    "--db", db, "--out", join(dir, out), "-q", ...extra,
  ];
}

async function reportIn(out: string): Promise<Report> {
  return JSON.parse(await readFile(join(dir, out, "report.json"), "utf8")) as Report;
}

async function reportOf(args: string[]): Promise<Report> {
  const result = await runInProcess(["report", "--db", db, "--format", "json", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

function issuingCrl(report: Report) {
  const crl = report.inventory.crls.find((c) => c.url.endsWith("/issuing.crl") && c.crl !== null);
  expect(crl, "the issuing CA's CRL was fetched and read").toBeDefined();
  return crl!;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const rulesOn = (report: Report, certificate: string): string[] =>
  report.findings.filter((f) => f.certificate === certificate).map((f) => f.ruleId).sort();
const staleCrlFindings = (report: Report) => report.findings.filter((f) => f.ruleId === "crl-stale" && f.url?.endsWith("/issuing.crl"));
const expiringCrlFindings = (report: Report) => report.findings.filter((f) => f.ruleId === "crl-expiring" && f.url?.endsWith("/issuing.crl"));
/** The OCSP answers about a leaf that were judged past their nextUpdate, by source. */
const staleOcsp = (report: Report, leaf: string): string[] =>
  report.inventory.ocsp.filter((o) => o.certificate === leaf && o.problems.includes("nextUpdate has passed")).map((o) => o.source).sort();
const ocspFindingsOn = (report: Report, leaf: string) =>
  report.findings.filter((f) => f.ruleId === "ocsp-bad-response" && f.certificate === leaf && String(f.message).includes("nextUpdate has passed"));

describe("scan as of now", () => {
  it("finds the healthy endpoints healthy and says nothing about another moment", async () => {
    expect(today.scan.complete).toBe(true);
    expect(leafNotAfter).toBeGreaterThan(Date.now() + 30 * DAY_MS);
    for (const leaf of [healthyLeaf, stapledLeaf]) {
      expect(rulesOn(today, leaf)).toEqual([]);
      expect(staleOcsp(today, leaf)).toEqual([]);
    }
    expect(today.inventory.ocsp.filter((o) => o.certificate === healthyLeaf).map((o) => o.source)).toContain("responder");
    expect(today.inventory.ocsp.filter((o) => o.certificate === stapledLeaf).map((o) => o.source)).toContain("staple");
    expect(staleCrlFindings(today)).toEqual([]);
    expect(today.analysis.validationTime).toBe(today.analysis.analysedAt);
    expect(await readFile(join(dir, "today", "report.html"), "utf8")).not.toContain("Judged as of");
  });
});

describe("scan --at", () => {
  let later: Report;
  let at: string;

  beforeAll(async () => {
    at = iso(leafNotAfter + DAY_MS);
    const result = await runInProcess(scanArgs("later", ["--at", at]));
    expect(result.code, result.stderr).toBe(0);
    later = await reportIn("later");
  }, 120_000);

  it("judges the certificate valid today expired, its CRL stale and its OCSP answers past their nextUpdate", async () => {
    expect(later.analysis.validationTime).toBe(at);
    expect(Date.parse(later.analysis.analysedAt)).toBeLessThan(Date.parse(at));
    expect(rulesOn(later, healthyLeaf)).toContain("expired");
    expect(later.findings.find((f) => f.ruleId === "expired" && f.certificate === healthyLeaf)!.evidence.daysAgo).toBe(1);
    expect(rulesOn(later, healthyLeaf)).not.toContain("expiring-soon");
    expect(staleCrlFindings(later)).toHaveLength(1);
    expect(staleOcsp(later, healthyLeaf)).toEqual(["responder"]);
    expect(staleOcsp(later, stapledLeaf)).toEqual(["responder", "staple"]);
    expect(ocspFindingsOn(later, healthyLeaf).length).toBeGreaterThan(0);
    const html = await readFile(join(dir, "later", "report.html"), "utf8");
    expect(html).toContain("Judged as of");
    expect(html).toContain(at);
  });

  it("keeps its validation time when the stored run is rendered again", async () => {
    const rendered = await reportOf(["--run", later.scan.id]);
    expect(rendered.analysis.validationTime).toBe(at);
    expect(rendered.findings.map((f) => f.id).sort()).toEqual(later.findings.map((f) => f.id).sort());
    expect(rulesOn(rendered, healthyLeaf)).toContain("expired");
  });

  it("reads a run saved before validation times were recorded as judged when it was analysed", async () => {
    const sqlite = new Database(db);
    try {
      const saved = JSON.parse(sqlite.prepare("SELECT data FROM conclusions WHERE run_id = ?").pluck().get(later.scan.id) as string) as Record<string, unknown>;
      expect(saved.validationTime).toBe(at);
      delete saved.validationTime;
      sqlite.prepare("UPDATE conclusions SET data = ? WHERE run_id = ?").run(JSON.stringify(saved), later.scan.id);
    } finally {
      sqlite.close();
    }
    const rendered = await reportOf(["--run", later.scan.id]);
    expect(rendered.analysis.validationTime).toBe(later.analysis.analysedAt);
  });
});

describe("report --at", () => {
  it("re-judges the stored run: expired after the leaf's notAfter", async () => {
    const at = iso(leafNotAfter + 2 * DAY_MS);
    const rejudged = await reportOf(["--run", today.scan.id, "--at", at]);
    expect(rejudged.scan.id).toBe(today.scan.id);
    expect(rejudged.analysis.validationTime).toBe(at);
    expect(rulesOn(rejudged, healthyLeaf)).toContain("expired");
    expect(rejudged.findings.find((f) => f.ruleId === "expired" && f.certificate === healthyLeaf)!.evidence.daysAgo).toBe(2);
    expect(staleCrlFindings(rejudged)).toHaveLength(1);
    expect(staleOcsp(rejudged, healthyLeaf)).toEqual(["responder"]);
    expect(staleOcsp(rejudged, stapledLeaf)).toEqual(["responder", "staple"]);
  });

  it("re-judges the stored run: expiring-soon within the threshold before notAfter", async () => {
    const rejudged = await reportOf(["--run", today.scan.id, "--at", iso(leafNotAfter - 10 * DAY_MS)]);
    expect(rulesOn(rejudged, healthyLeaf)).toContain("expiring-soon");
    expect(rulesOn(rejudged, healthyLeaf)).not.toContain("expired");
    expect(rejudged.findings.find((f) => f.ruleId === "expiring-soon" && f.certificate === healthyLeaf)!.evidence).toMatchObject({ daysLeft: 10 });
  });

  it("moves CRL freshness: crl-expiring half a day before nextUpdate, crl-stale half a day after", async () => {
    const before = await reportOf(["--run", today.scan.id, "--at", iso(crlNextUpdate - DAY_MS / 2)]);
    expect(expiringCrlFindings(before)).toHaveLength(1);
    expect(staleCrlFindings(before)).toEqual([]);
    const after = await reportOf(["--run", today.scan.id, "--at", iso(crlNextUpdate + DAY_MS / 2)]);
    expect(expiringCrlFindings(after)).toEqual([]);
    expect(staleCrlFindings(after)).toHaveLength(1);
    // The leaf itself is still months from expiry.
    expect(rulesOn(after, healthyLeaf)).not.toContain("expired");
  });

  it("takes a bare date as midnight UTC, and writes files with --out like any report", async () => {
    const day = new Date(leafNotAfter + 3 * DAY_MS).toISOString().slice(0, 10);
    const result = await runInProcess(["report", "--db", db, "--run", today.scan.id, "--at", day, "--format", "json,html", "--out", join(dir, "rejudged"), "-q"]);
    expect(result.code, result.stderr).toBe(0);
    const written = await reportIn("rejudged");
    expect(written.analysis.validationTime).toBe(`${day}T00:00:00.000Z`);
    expect(rulesOn(written, healthyLeaf)).toContain("expired");
    expect(await readFile(join(dir, "rejudged", "report.html"), "utf8")).toContain(`${day}T00:00:00.000Z`);
  });

  it("saves nothing: the run renders afterwards as its scan reported it", async () => {
    const rendered = await reportOf(["--run", today.scan.id]);
    expect(rendered.analysis).toEqual(today.analysis);
    expect(rendered.findings).toEqual(today.findings);
    expect(rendered.inventory.ocsp).toEqual(today.inventory.ocsp);
  });
});

describe("a bad --at", () => {
  it.each([
    ["scan", "tomorrow"],
    ["scan", "2027-02-30"],
    ["scan", "2027-03-01T09:00:00"],
    ["report", "next week"],
    ["report", "2027-13-01"],
  ])("%s --at %j exits 2 with one line", async (command, value) => {
    const args = command === "scan" ? scanArgs("never", ["--at", value, "--no-report"]) : ["report", "--db", db, "--at", value];
    const result = await runInProcess(args);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("--at takes an ISO 8601 date");
    expect(lines[0]).toContain(value);
  });

  it("is required by report's --rubric and --pkic-mapping, which score only a re-judgement", async () => {
    const result = await runInProcess(["report", "--db", db, "--rubric", "rules/maturity/keyfactor-rubric.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("give --at too");
    const missing = await runInProcess(["report", "--db", db, "--at", "2030-01-01", "--rubric", "/nonexistent/rubric.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("rubric /nonexistent/rubric.json");
  });

  it("is refused before any run is recorded", async () => {
    const before = (await runInProcess(["runs", "--db", db])).stdout;
    expect((await runInProcess(scanArgs("never", ["--at", "soon"]))).code).toBe(2);
    expect((await runInProcess(["runs", "--db", db])).stdout).toBe(before);
  });

  it("is named in the help of scan and report", async () => {
    for (const command of ["scan", "report"]) {
      const help = await runInProcess([command, "--help"]);
      expect(help.stdout).toMatch(/--at <time>/);
    }
  });
});
