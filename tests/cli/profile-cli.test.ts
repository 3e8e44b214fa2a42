// `pkiscope scan --config FILE --profile NAME` against the real sample network on loopback:
// owners and tags reach endpoints and certificates in report.json, the HTML groups by owner
// (escaping what the file says), governance.owned-share counts owned certificates, options given
// beside the profile win, and an invalid config is one line and exit code 2.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runInProcess } from "./cli-helpers.js";

const HOSTILE_OWNER = "<b>web & co</b>";

let network: SampleNetwork;
let dir: string;
let db: string;
let config: string;
/** The two TLS endpoints of the owned network (the rest of the /26 is the unowned lab network). */
let owned: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-profile-"));
  db = join(dir, "profile.db");
  network = await startSampleNetwork({ prefix: "127.141.0", port: 9443, workDir: join(dir, "net") });
  owned = network.endpoints.filter((e) => e.status === "tls").slice(0, 2).map((e) => e.address);
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    "      - name: frontends",
    `        targets: [${owned.join(", ")}]`,
    `        ports: [${network.port}]`,
    `        owner: "${HOSTILE_OWNER}"`,
    "        site: ams1",
    "        tags: [prod, web]",
    "      - name: lab",
    `        targets: [${network.cidr}]`,
    `        ports: [${network.port}]`,
    "        site: lab-site",
    "        tags: [lab]",
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "    thresholds:",
    "      expiry-days: 45",
    "",
  ].join("\n"));
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const timeouts = ["--handshake-timeout", "800", "--connect-timeout", "800"];

interface ReportJson {
  scan: { profile: string | null; targets: string[] };
  summary: { byOwner: { owner: string | null; endpoints: number; certificates: number; findingsBySeverity: Record<string, number> }[]; findingsBySeverity: Record<string, number> };
  inventory: {
    endpoints: { id: string; address: string; chain: string[]; owner: string | null; site: string | null; tags: string[] }[];
    certificates: { sha256: string; endpoints: string[]; owner: string | null; site: string | null; tags: string[] }[];
  };
  analysis: { thresholds: Record<string, number> };
}

describe("pkiscope scan --config --profile", () => {
  it("scans the profile's networks and puts owners, sites and tags on endpoints, certificates and the report", async () => {
    const out = join(dir, "out");
    const result = await runInProcess(["scan", "--config", config, "--profile", "lab", ...timeouts, "--db", db, "--out", out]);
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as ReportJson;
    expect(report.scan.profile).toBe("lab");
    expect(report.scan.targets).toEqual([...owned, network.cidr]);
    expect(report.analysis.thresholds.expiryDays).toBe(45);

    // First match in profile order: the frontends' addresses are in the lab /26 too.
    const endpoints = report.inventory.endpoints;
    expect(endpoints.length).toBeGreaterThan(owned.length);
    for (const e of endpoints) {
      const expected = owned.includes(e.address)
        ? { owner: HOSTILE_OWNER, site: "ams1", tags: ["prod", "web"] }
        : { owner: null, site: "lab-site", tags: ["lab"] };
      expect({ owner: e.owner, site: e.site, tags: e.tags }).toEqual(expected);
    }
    // A certificate is owned when an owned endpoint serves it; tags are those of every network serving it.
    const ownedIds = new Set(endpoints.filter((e) => e.owner !== null).map((e) => e.id));
    const servedByOwned = new Set(endpoints.filter((e) => ownedIds.has(e.id)).flatMap((e) => e.chain));
    expect(servedByOwned.size).toBeGreaterThan(0);
    for (const c of report.inventory.certificates) {
      expect(c.owner).toBe(servedByOwned.has(c.sha256) ? HOSTILE_OWNER : null);
      if (c.endpoints.some((id) => !ownedIds.has(id))) expect(c.tags).toContain("lab");
    }

    // By owner: the owned network, then what has no known owner; together, everything.
    const rows = report.summary.byOwner;
    expect(rows.map((r) => r.owner)).toEqual([HOSTILE_OWNER, null]);
    expect(rows[0]!.endpoints).toBe(ownedIds.size);
    expect(rows[0]!.certificates).toBe(report.inventory.certificates.filter((c) => c.owner !== null).length);
    expect(rows.reduce((n, r) => n + r.endpoints, 0)).toBe(endpoints.length);
    expect(rows.reduce((n, r) => n + r.certificates, 0)).toBe(report.inventory.certificates.length);
    for (const severity of Object.keys(report.summary.findingsBySeverity)) {
      expect(rows.reduce((n, r) => n + r.findingsBySeverity[severity]!, 0)).toBe(report.summary.findingsBySeverity[severity]);
    }

    const html = await readFile(join(out, "report.html"), "utf8");
    const byOwner = html.slice(html.indexOf('<section id="by-owner">'), html.indexOf("</section>", html.indexOf('<section id="by-owner">')));
    expect(byOwner).toContain("By owner");
    expect(byOwner).toContain("&lt;b&gt;web &amp; co&lt;/b&gt;");
    expect(byOwner).toContain("no known owner");
    expect(html).not.toContain(HOSTILE_OWNER);

    // governance.owned-share: the owned certificates in use, cited as evidence.
    const maturity = await runInProcess(["maturity", "--format", "json", "--db", db, "-q"]);
    expect(maturity.code).toBe(0);
    const metric = JSON.parse(maturity.stdout).metrics["governance.owned-share"];
    expect(metric.value).toBeGreaterThan(0);
    expect(metric.value).toBeLessThan(1);
    expect(metric.value).toBeCloseTo(metric.count / metric.total);
    const ownedCertificates = new Set(report.inventory.certificates.filter((c) => c.owner !== null).map((c) => c.sha256));
    expect(metric.evidence.length).toBe(metric.count);
    for (const ref of metric.evidence) expect(ownedCertificates.has(ref.id)).toBe(true);
  });

  it("lets options given beside the profile override it", async () => {
    const healthy = network.endpoints.find((e) => e.identity?.name === "healthy-rsa")!;
    const result = await runInProcess([
      "scan", "--config", config, "--profile", "lab", "--targets", healthy.address, "--ports", String(network.port), "--expiry-days", "7",
      ...timeouts, "--db", db, "--no-report", "-q",
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse((await runInProcess(["report", "--run", "latest", "--format", "json", "--db", db])).stdout) as ReportJson;
    expect(report.scan.targets).toEqual([healthy.address]);
    expect(report.inventory.endpoints.map((e) => e.address)).toEqual([healthy.address]);
    expect(report.analysis.thresholds.expiryDays).toBe(7);
    // The profile still says who owns what it scanned.
    expect(report.inventory.endpoints[0]!.owner).toBe(owned.includes(healthy.address) ? HOSTILE_OWNER : null);
    expect(report.inventory.endpoints[0]!.site).toBe(owned.includes(healthy.address) ? "ams1" : "lab-site");
  });

  it("leaves governance.owned-share null, saying why, when the scan has no profile", async () => {
    const result = await runInProcess(["scan", "--targets", owned[0]!, "--ports", String(network.port), "--trust-anchors", network.trustAnchorsPath, ...timeouts, "--db", db, "--no-report", "-q"]);
    expect(result.code).toBe(0);
    const metric = JSON.parse((await runInProcess(["maturity", "--format", "json", "--db", db, "-q"])).stdout).metrics["governance.owned-share"];
    expect(metric.value).toBeNull();
    expect(metric.notObserved).toContain("--config");
  });

  it("exits 2 with one line naming the file and line of an invalid config, before scanning", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, `profiles:\n  lab:\n    networks:\n      - targets: [${network.cidr}]\n        ports: [0]\n`);
    const result = await runInProcess(["scan", "--config", bad, "--profile", "lab", "--db", join(dir, "never.db"), "--no-report"]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${bad}:5: at profiles.lab.networks.0.ports.0: `);
    const missing = await runInProcess(["scan", "--profile", "lab", "--db", join(dir, "never.db")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--profile needs --config FILE");
  });
});
