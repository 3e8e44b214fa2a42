// Issue 11 acceptance: `pkiscope scan --files DIR` through the built CLI over a directory the real
// tools wrote (fixtures/lib/keystore-files.ts): PKCS#12 files (modern, legacy, empty password,
// wrong password, truncated), Java keystores (JKS, PKCS#12), a 50 MB PEM bundle, an unencrypted
// CA key, an encrypted key and a DER key. Every certificate is found, the unreadable files are
// recorded by name, the CA key is a critical exposed-private-key finding, and no key material,
// nor the keystore password, reaches the store, the logs or any report (the CBOM included).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeystoreDirectory, writeKeystoreDirectory } from "../../fixtures/lib/keystore-files.js";
import type { Report } from "../../src/reports/report-model.js";

const REPO = new URL("../..", import.meta.url).pathname;
const CLI = join(REPO, "dist/src/cli/main.js");

let root: string;
let fixture: KeystoreDirectory;
let scan: { code: number | null; stdout: string; stderr: string };
let report: Report;
const db = () => join(root, "pkiscope.db");
const out = () => join(root, "report");

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<typeof scan> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  root = await mkdtemp(join(tmpdir(), "pkiscope-keystores-"));
  fixture = await writeKeystoreDirectory(root);
  scan = await runCli(
    ["scan", "--files", fixture.dir, "--keystore-password-env", "PKISCOPE_TEST_KEYSTORE_PASSWORD", "--no-fetch", "--db", db(), "--out", out(), "--format", "json,html,csv,cbom", "-v", "--json"],
    { PKISCOPE_TEST_KEYSTORE_PASSWORD: fixture.password },
  );
  report = JSON.parse(await readFile(join(out(), "report.json"), "utf8")) as Report;
}, 600_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("scan of keystores, a 50 MB bundle and exposed keys", () => {
  it("completes and finds every certificate the fixture wrote, each bundle block a sighting", () => {
    expect(scan.code, scan.stderr.slice(-2000)).toBe(0);
    expect(report.scan.complete).toBe(true);
    expect(new Set(report.inventory.certificates.map((c) => c.sha256))).toEqual(fixture.certificates);
    // Nothing else was taken for a certificate: not a key, not a cut-off keystore.
    expect(report.inventory.unparsable).toEqual([]);
    const store = new Database(db(), { readonly: true });
    try {
      const blocks = store.prepare("SELECT COUNT(*) FROM sightings WHERE run_id = ? AND location LIKE ?").pluck().get(report.scan.id, `${fixture.bundlePath}#%`);
      expect(blocks).toBe(fixture.bundleBlocks);
    } finally {
      store.close();
    }
  });

  it("records each file it could not read, naming it, and how every keystore opened", () => {
    const byPath = new Map(report.inventory.files.map((f) => [f.path.slice(fixture.dir.length + 1), f]));
    for (const path of fixture.unreadable) expect(byPath.get(path.slice(fixture.dir.length + 1))?.error, path).toBeTruthy();
    expect(byPath.get("wrong-password.p12")?.error).toMatch(/MAC could not be verified/);
    expect(byPath.get("modern.p12")).toMatchObject({ format: "pkcs12", integrity: "verified", opened: "given-password", certificates: 2, privateKeys: 1, error: null });
    expect(byPath.get("legacy.pfx")).toMatchObject({ integrity: "verified", opened: "given-password", certificates: 2, error: null });
    expect(byPath.get("no-password.p12")).toMatchObject({ opened: "empty-password", error: null });
    expect(byPath.get("server.jks")).toMatchObject({ format: "jks", integrity: "verified", opened: "given-password", certificates: 2, privateKeys: 1 });
    expect(byPath.get("java-store.p12")).toMatchObject({ format: "pkcs12", integrity: "verified", opened: "given-password" });
    // The run's statistics count them too: a file not read whole is never silent.
    const files = (report.scan.stats.collectors as Record<string, Record<string, number>>).files!;
    expect(files.unreadable).toBe(fixture.unreadable.length);
    expect(scan.stdout + scan.stderr).toContain("wrong-password.p12");
  });

  it("matches keys to their certificates and tells who can read each", () => {
    const key = (name: string) => report.inventory.privateKeys.find((k) => k.file.endsWith(name))!;
    expect(key("root-ca.key")).toMatchObject({ access: "plaintext", keyAlgorithm: "EC", curve: "P-256", matchedCertificates: [fixture.ca], matchesCa: true, exposed: true });
    expect(key("modern.p12")).toMatchObject({ access: "given-password", keyAlgorithm: "RSA", keySize: 2048, exposed: false });
    expect(key("modern.p12").matchedCertificates).toHaveLength(1);
    expect(key("no-password.p12")).toMatchObject({ access: "empty-password", exposed: true });
    expect(key("server.jks")).toMatchObject({ container: "jks", access: "given-password", keyAlgorithm: "RSA", exposed: false });
    expect(key("java-store.p12")).toMatchObject({ keyAlgorithm: "EC", curve: "P-384", exposed: false });
    expect(key("service-encrypted.key")).toMatchObject({ format: "encrypted-pkcs8", access: "locked", spkiSha256: null, matchedCertificates: [], exposed: false });
    expect(key("service.der")).toMatchObject({ container: "der", access: "plaintext", keyAlgorithm: "RSA", matchedCertificates: [], exposed: true });
  });

  it("raises exposed-private-key: critical for the CA key, high for the others readable without a secret", () => {
    const exposed = report.findings.filter((f) => f.ruleId === "exposed-private-key");
    const severityOf = Object.fromEntries(exposed.map((f) => [String(f.evidence.file).slice(fixture.dir.length + 1), f.severity]));
    expect(severityOf).toEqual({ "root-ca.key": "critical", "no-password.p12": "high", "service.der": "high" });
    const critical = exposed.find((f) => f.severity === "critical")!;
    expect(critical.evidence).toMatchObject({ file: fixture.caKeyPath, keyAlgorithm: "EC", certificates: [fixture.ca] });
  });

  it("writes no key material and not the password to the store, the logs or the reports", async () => {
    const stored = await Promise.all(["", "-wal", "-shm"].map((suffix) => readFile(db() + suffix).catch(() => Buffer.alloc(0))));
    const reportNames = ["report.json", "report.html", "inventory.csv", "report.cdx.json"];
    const reports = await Promise.all(reportNames.map(async (name) => [name, await readFile(join(out(), name), "utf8")] as const));
    const texts = { logs: scan.stdout + scan.stderr, ...Object.fromEntries(reports), store: Buffer.concat(stored).toString("latin1") };
    expect(fixture.secrets.length).toBeGreaterThanOrEqual(7);
    for (const secret of fixture.secrets) {
      for (const [where, text] of Object.entries(texts)) {
        for (const piece of secret.text) expect(text.includes(piece), `${secret.label} in ${where}`).toBe(false);
      }
      for (const der of secret.binary) expect(stored.some((bytes) => bytes.includes(der)), `${secret.label} DER in the store`).toBe(false);
    }
    for (const [where, text] of Object.entries(texts)) expect(text.includes(fixture.password), `password in ${where}`).toBe(false);
  });
});
