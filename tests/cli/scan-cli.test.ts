// The CLI against the real sample network: reports on disk, re-rendering a stored run,
// --fail-on gating, usage errors, and help on every command.
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runInProcess } from "./cli-helpers.js";

let network: SampleNetwork;
let dir: string;
let db: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-cli-"));
  db = join(dir, "cli.db");
  network = await startSampleNetwork({ prefix: "127.83.0", port: 9443, workDir: join(dir, "net") });
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const scanArgs = (extra: string[] = []): string[] => [
  "scan", "--targets", network.cidr, "--ports", String(network.port), "--trust-anchors", network.trustAnchorsPath,
  "--handshake-timeout", "800", "--connect-timeout", "800", "--db", db, "--out", join(dir, "out"), ...extra,
];

describe("pkiscope scan", () => {
  it("writes the three reports and exits 0 whatever it found", async () => {
    const result = await runInProcess(scanArgs());
    expect(result.stderr).toContain("findings:");
    expect(result.code).toBe(0);
    const json = JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8"));
    expect(json.schemaVersion).toBe(1);
    expect(json.scan.complete).toBe(true);
    expect(json.findings.length).toBeGreaterThan(5);
    const html = await readFile(join(dir, "out", "report.html"), "utf8");
    expect(html).toContain("Shadow IT Root");
    const csv = await readFile(join(dir, "out", "inventory.csv"), "utf8");
    expect(csv.split("\r\n")[0]).toMatch(/^sha256,subject,issuer/);
  });

  it("exits 1 under --fail-on when a finding reaches the threshold, 0 when none does", async () => {
    expect((await runInProcess(scanArgs(["--fail-on", "critical", "--no-report", "-q"]))).code).toBe(1);
    // Only the healthy RSA endpoint: nothing at or above low.
    const healthy = network.endpoints.find((e) => e.identity?.name === "healthy-rsa")!;
    const args = scanArgs(["--fail-on", "low", "--no-report", "-q"]);
    args[2] = healthy.address;
    expect((await runInProcess(args)).code).toBe(0);
  });

  it("logs JSON lines with --json", async () => {
    const result = await runInProcess(scanArgs(["--json", "--no-report"]));
    const lines = result.stderr.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.some((l) => l.msg.includes("complete"))).toBe(true);
  });
});

describe("pkiscope scan revocation options", () => {
  it("reads --crl-file alone, and --no-fetch leaves --crl-url unfetched", async () => {
    const corpus = new URL("../../../shared/corpora/pyca-x509/custom/crl_all_reasons.pem", import.meta.url).pathname;
    const out = join(dir, "crl-out");
    const result = await runInProcess([
      "scan", "--crl-file", corpus, "--crl-url", "http://127.83.0.1:1/none.crl", "--no-fetch", "--db", db, "--out", out, "-q",
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    const byUrl = new Map(report.inventory.crls.map((c: { url: string }) => [c.url, c]));
    expect(byUrl.get(corpus)).toMatchObject({ source: "file", error: null, crl: { entryCount: 12 } });
    expect(byUrl.get("http://127.83.0.1:1/none.crl")).toMatchObject({ source: "cli", skipped: expect.stringContaining("--no-fetch") });
  });
});

describe("pkiscope report", () => {
  it("re-renders the latest run from the store in each format", async () => {
    const json = await runInProcess(["report", "--run", "latest", "--format", "json", "--db", db]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.scan.complete).toBe(true);
    const csv = await runInProcess(["report", "--format", "csv", "--db", db]);
    expect(csv.stdout.split("\r\n").length).toBeGreaterThan(report.inventory.certificates.length);
    const html = await runInProcess(["report", "--run", report.scan.id.slice(0, 8), "--format", "html", "--db", db]);
    expect(html.stdout).toContain(report.scan.id);
  });

  it("lists runs", async () => {
    const result = await runInProcess(["runs", "--db", db]);
    expect(result.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(3);
    expect(result.stdout).toContain("complete");
  });

  it("says so when the run does not exist", async () => {
    const result = await runInProcess(["report", "--run", "ffffffff", "--db", db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no run "ffffffff"');
  });
});

describe("usage", () => {
  it.each([
    [["scan", "--db", "x.db"], "nothing to scan"],
    [["scan", "--targets", "10.0.0.0/33", "--db", "x.db"], "not a CIDR"],
    [["scan", "--targets", "127.0.0.1", "--concurrency", "0", "--db", "x.db"], "--concurrency"],
    [["scan", "--targets", "127.0.0.1", "--fail-on", "severe"], "Allowed choices"],
    [["report", "--format", "pdf", "--db", "x.db"], "--format"],
    [["scan", "--targets", "127.0.0.1", "--rubric", "/nonexistent/rubric.json", "--db", "x.db"], "rubric /nonexistent/rubric.json: cannot read it (ENOENT)"],
  ])("rejects %j with exit 2", async (args, message) => {
    const result = await runInProcess(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it.each([["--help"], ["scan", "--help"], ["report", "--help"], ["demo", "--help"], ["runs", "--help"], ["maturity", "--help"], ["assess", "--help"], ["questionnaire", "init", "--help"]])("prints help for %j", async (...args) => {
    const result = await runInProcess(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: pkiscope");
  });
});
