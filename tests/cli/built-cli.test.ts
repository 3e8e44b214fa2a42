// The built CLI (dist/src/cli/main.js, the package's bin) as `npm ci && npx pkiscope demo` runs it:
// the build bundles it (scripts/bundle-cli.mjs), and what a bundle can break the source run cannot
// show: the TLS probe worker found beside the chunks, the native SQLite addon, the shipped rules
// and package.json found from dist/cli/, HTTP fetches through undici, the lazily loaded YAML reader.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/reports/report-model.js";

const REPO = new URL("../..", import.meta.url).pathname;
const CLI = join(REPO, "dist/src/cli/main.js");

function runBuilt(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

let dir: string;
let demo: Awaited<ReturnType<typeof runBuilt>>;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  dir = await mkdtemp(join(tmpdir(), "pkiscope-built-"));
  demo = await runBuilt(["demo", "--out", join(dir, "demo"), "--prefix", "127.60.0", "--port", "9474", "-q"], dir);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the built CLI", () => {
  it("prints the version of its package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
    const result = await runBuilt(["--version"], dir);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  }, 60_000);

  it("ends quietly with status 141 when its reader closes the pipe first (`pkiscope scan --help | head`)", async () => {
    const child = spawn(process.execPath, [CLI, "scan", "--help"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the CLI has started: every write it makes meets EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(141);
  }, 60_000);

  it("runs the demo: TLS probes, CRL and OCSP fetches, the reports and the self-assessment", async () => {
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).toBe("");
    const report = JSON.parse(await readFile(join(dir, "demo", "report.json"), "utf8")) as Report;
    expect(report.scan.complete).toBe(true);
    const collectors = report.scan.stats.collectors as Record<string, Record<string, number>>;
    expect(collectors.tls?.tls).toBeGreaterThan(0);
    expect(collectors.crl?.ok).toBeGreaterThan(0);
    expect(collectors.ocsp?.answered).toBeGreaterThan(0);
    expect(Object.keys(report.maturity?.categories ?? {})).toHaveLength(6);
    expect(existsSync(join(dir, "demo", "assessment", "assessment.html"))).toBe(true);
  });
});
