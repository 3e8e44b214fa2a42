// Prometheus metrics of a real scan: the sample network and one server with a hostile subject,
// scanned on loopback into a store, then scraped over HTTP from /metrics and read by a strict
// parser of the text format. Values are held against the fixtures' own certificates and the
// run as stored; the series cap, the label length cap and re-reading per scrape are checked too.
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { type Server, createServer as createTlsServer } from "node:tls";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runCli } from "../../src/cli/index.js";
import { DEFAULT_METRICS_OPTIONS } from "../../src/exporter/options.js";
import { labelValue, profileOf } from "../../src/exporter/registry.js";
import { type MetricsServer, startMetricsServer } from "../../src/exporter/server.js";
import { MATURITY_CATEGORIES } from "../../src/model/maturity.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { RunContents } from "../../src/store/store.js";
import { runInProcess } from "../cli/cli-helpers.js";
import { type MetricFamily, type Sample, parsePrometheusText } from "./prometheus-text.js";

const DAY_MS = 86_400_000;
const HOSTILE_ADDRESS = "127.131.1.7";
/** Quotes, braces, a backslash and a newline that would end the sample line early if unescaped. */
const HOSTILE_CN = 'evil" } 1\npkiscope_injected{x="y"} 1 \\';
/** The owner of the hostile server's network in the "edge" profile. */
const EDGE_OWNER = 'team "edge" \\ ops';

let dir: string;
let db: string;
let network: SampleNetwork;
let hostile: Server;
let hostileNotAfter: Date;
let store: SqliteStore;
let server: MetricsServer;
let run: RunContents;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-metrics-"));
  db = join(dir, "metrics.db");
  network = await startSampleNetwork({ prefix: "127.131.0", port: 9531, workDir: join(dir, "net") });
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  hostileNotAfter = new Date(Math.floor((Date.now() + 30 * DAY_MS) / 1000) * 1000);
  const leaf = buildCertificate({
    subject: [["CN", HOSTILE_CN], ["O", "o".repeat(1000)]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date(Date.now() - DAY_MS), notAfter: hostileNotAfter, isCA: false, dnsNames: ["hostile.test"],
  });
  hostile = createTlsServer({ key: privateKeyPem(key.privateKey), cert: leaf.pem });
  hostile.on("tlsClientError", () => {});
  hostile.listen(network.port, HOSTILE_ADDRESS);
  await once(hostile, "listening");

  const scan = await runInProcess([
    "scan", "--targets", `${network.cidr},${HOSTILE_ADDRESS}`, "--ports", String(network.port), "--files", network.filesDir,
    "--trust-anchors", network.trustAnchorsPath, "--connect-timeout", "2000", "--handshake-timeout", "2000",
    "--db", db, "--no-report", "-q",
  ]);
  expect(scan.code, scan.stderr).toBe(0);
  // The hostile server again, as the "edge" profile's network with an owner.
  const config = join(dir, "pkiscope.yaml");
  await writeFile(config, `profiles:\n  edge:\n    networks:\n      - targets: [${HOSTILE_ADDRESS}]\n        ports: [${network.port}]\n        owner: ${JSON.stringify(EDGE_OWNER)}\n`);
  const edge = await runInProcess([
    "scan", "--config", config, "--profile", "edge", "--connect-timeout", "2000", "--handshake-timeout", "2000", "--db", db, "--no-report", "-q",
  ]);
  expect(edge.code, edge.stderr).toBe(0);
  store = new SqliteStore(db);
  const [stored, edgeRun] = await store.listRuns();
  expect(profileOf(edgeRun!)).toBe("edge");
  run = await store.loadRun(stored!.id);
  server = await startMetricsServer(store, { port: 0 });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await new Promise((resolve) => hostile?.close(resolve));
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

async function scrape(path = "/metrics"): Promise<{ status: number; contentType: string; body: string }> {
  const response = await request(`http://${server.address.host}:${server.address.port}${path}`, { headersTimeout: 30_000, bodyTimeout: 30_000 });
  return { status: response.statusCode, contentType: String(response.headers["content-type"]), body: await response.body.text() };
}

function family(families: Map<string, MetricFamily>, name: string): MetricFamily {
  const f = families.get(name);
  expect(f, `${name} is exported`).toBeDefined();
  return f!;
}

const byLabel = (samples: Sample[], label: string): Map<string, number> => new Map(samples.map((s) => [s.labels[label]!, s.value]));
const ofProfile = (samples: Sample[], profile: string): Sample[] => samples.filter((s) => s.labels.profile === profile);

describe("the metrics endpoint", () => {
  it("serves valid Prometheus text at /metrics, with HELP and TYPE for every family", async () => {
    const { status, contentType, body } = await scrape();
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(body);
    expect([...families.keys()].sort()).toEqual([
      "pkiscope_certificate_not_after_seconds", "pkiscope_certificate_series_dropped", "pkiscope_findings",
      "pkiscope_last_run_duration_seconds", "pkiscope_last_run_success", "pkiscope_last_run_timestamp_seconds",
      "pkiscope_maturity_level", "pkiscope_runs_total",
    ]);
    for (const f of families.values()) {
      expect(f.help, f.name).toBeTruthy();
      expect(f.type, f.name).not.toBe("untyped");
    }
    expect(family(families, "pkiscope_runs_total").type).toBe("counter");
  });

  it("answers 404 elsewhere", async () => {
    expect((await scrape("/")).status).toBe(404);
  });

  it("exports the notAfter of every served leaf, as the fixtures built it, and nothing else", async () => {
    const families = parsePrometheusText((await scrape()).body);
    const all = family(families, "pkiscope_certificate_not_after_seconds").samples;
    const samples = ofProfile(all, "default");
    const expected = new Map(network.endpoints.filter((e) => e.identity).map((e) => [
      `${e.address}:${e.port}`, Date.parse(new X509Certificate(e.identity!.chain[0]!.der).validTo) / 1000,
    ]));
    expected.set(`${HOSTILE_ADDRESS}:${network.port}`, hostileNotAfter.getTime() / 1000);
    expect(byLabel(samples, "endpoint")).toEqual(expected);
    expect(new Set(samples.map((s) => s.labels.owner)), "a run without a profile names no owner").toEqual(new Set([""]));
    expect(ofProfile(all, "edge").map((s) => ({ endpoint: s.labels.endpoint, owner: s.labels.owner, value: s.value })))
      .toEqual([{ endpoint: `${HOSTILE_ADDRESS}:${network.port}`, owner: EDGE_OWNER, value: hostileNotAfter.getTime() / 1000 }]);
    expect(all).toHaveLength(samples.length + 1);
    expect(family(families, "pkiscope_certificate_series_dropped").samples.map((s) => s.value)).toEqual([0]);
  });

  it("labels each leaf with its subject and issuer as stored", async () => {
    const samples = ofProfile(family(parsePrometheusText((await scrape()).body), "pkiscope_certificate_not_after_seconds").samples, "default");
    const records = new Map(run.certificates.map((c) => [c.sha256, c.record!]));
    for (const endpoint of run.endpoints.filter((e) => e.chain.length > 0)) {
      const sample = samples.find((s) => s.labels.endpoint === endpoint.id)!;
      const record = records.get(endpoint.chain[0]!)!;
      expect(sample.labels.subject).toBe(labelValue(record.subject, DEFAULT_METRICS_OPTIONS.maxLabelLength));
      expect(sample.labels.issuer).toBe(labelValue(record.issuer, DEFAULT_METRICS_OPTIONS.maxLabelLength));
    }
  });

  it("keeps a hostile subject inside its label, cut to the label length", async () => {
    const body = (await scrape()).body;
    const families = parsePrometheusText(body);
    expect(families.has("pkiscope_injected")).toBe(false);
    const sample = ofProfile(family(families, "pkiscope_certificate_not_after_seconds").samples, "default")
      .find((s) => s.labels.endpoint === `${HOSTILE_ADDRESS}:${network.port}`)!;
    // The DN string escapes the quote and the newline (\0A); the label carries it back byte for byte, braces and backslashes included.
    expect(sample.labels.subject!.startsWith('CN=evil\\" } 1\\0Apkiscope_injected{x=\\"y\\"} 1 \\\\, O=ooo')).toBe(true);
    expect([...sample.labels.subject!]).toHaveLength(DEFAULT_METRICS_OPTIONS.maxLabelLength);
    expect(sample.labels.subject!.endsWith("…")).toBe(true);
    expect(sample.labels.subject).not.toMatch(/[\u0000-\u001f]/);
  });

  it("counts findings per rule and severity as the run raised them, 0 for rules evaluated clean", async () => {
    const samples = ofProfile(family(parsePrometheusText((await scrape()).body), "pkiscope_findings").samples, "default");
    const expected = new Map<string, number>();
    for (const f of run.findings) expected.set(`${f.ruleId}/${f.severity}`, (expected.get(`${f.ruleId}/${f.severity}`) ?? 0) + 1);
    const clean = run.ruleOutcomes.filter((o) => o.status === "evaluated" && o.findings === 0);
    for (const o of clean) expected.set(`${o.ruleId}/${run.rules.find((r) => r.id === o.ruleId)!.severity}`, 0);
    expect(run.findings.length).toBeGreaterThan(0);
    expect(clean.length).toBeGreaterThan(0);
    expect(new Map(samples.map((s) => [`${s.labels.rule}/${s.labels.severity}`, s.value]))).toEqual(expected);
  });

  it("exports the run's maturity level per category, and no series for a category without a level", async () => {
    const samples = ofProfile(family(parsePrometheusText((await scrape()).body), "pkiscope_maturity_level").samples, "default");
    const expected = new Map(MATURITY_CATEGORIES.flatMap((c) => {
      const level = run.maturity!.categories[c].level;
      return level === null ? [] : [[c, level] as const];
    }));
    expect(expected.size).toBeGreaterThan(0);
    expect(expected.size, "strategy has no level without answers").toBeLessThan(MATURITY_CATEGORIES.length);
    expect(byLabel(samples, "category")).toEqual(expected);
  });

  it("reports the last run's end, duration and success, and re-reads the store on each scrape", async () => {
    const first = parsePrometheusText((await scrape()).body);
    const stored = (await store.listRuns())[0]!;
    expect(ofProfile(family(first, "pkiscope_last_run_timestamp_seconds").samples, "default")).toEqual([
      { name: "pkiscope_last_run_timestamp_seconds", labels: { profile: "default" }, value: Date.parse(stored.finishedAt!) / 1000 },
    ]);
    expect(ofProfile(family(first, "pkiscope_last_run_duration_seconds").samples, "default")[0]!.value)
      .toBe((Date.parse(stored.finishedAt!) - Date.parse(stored.startedAt)) / 1000);
    expect(byLabel(family(first, "pkiscope_last_run_success").samples, "profile")).toEqual(new Map([["default", 1], ["edge", 1]]));
    const runsTotal = (families: Map<string, MetricFamily>) => family(families, "pkiscope_runs_total").samples
      .map((s) => ({ profile: s.labels.profile!, state: s.labels.state!, value: s.value })).sort((a, b) => a.profile.localeCompare(b.profile));
    expect(runsTotal(first)).toEqual([{ profile: "default", state: "complete", value: 1 }, { profile: "edge", state: "complete", value: 1 }]);

    // A run of a profile that was interrupted: its profile appears, failed, with nothing else to show.
    const interrupted = await store.createRun({ targets: ["127.131.2.1"], ports: [9531], options: { profile: { name: "nightly", networks: [], files: [] } } });
    await store.finishRun(interrupted.id, false, {});
    const second = parsePrometheusText((await scrape()).body);
    expect(byLabel(family(second, "pkiscope_last_run_success").samples, "profile")).toEqual(new Map([["default", 1], ["edge", 1], ["nightly", 0]]));
    expect(runsTotal(second)).toEqual([
      { profile: "default", state: "complete", value: 1 }, { profile: "edge", state: "complete", value: 1 }, { profile: "nightly", state: "interrupted", value: 1 },
    ]);
    for (const name of ["pkiscope_findings", "pkiscope_maturity_level", "pkiscope_certificate_not_after_seconds"]) {
      expect(ofProfile(family(second, name).samples, "nightly"), name).toEqual([]);
      expect(ofProfile(family(second, name).samples, "edge").length, name).toBeGreaterThan(0);
    }
  });
});

describe("pkiscope metrics", () => {
  it("prints the metrics once; a small series cap keeps the soonest expiries and counts the rest", async () => {
    const all = family(parsePrometheusText((await runInProcess(["metrics", "--db", db])).stdout), "pkiscope_certificate_not_after_seconds").samples;
    const result = await runInProcess(["metrics", "--db", db, "--max-certificate-series", "3"]);
    expect(result.code, result.stderr).toBe(0);
    const families = parsePrometheusText(result.stdout);
    const kept = family(families, "pkiscope_certificate_not_after_seconds").samples;
    const soonest = [...all].sort((a, b) => a.value - b.value).slice(0, 3);
    expect(all.length).toBeGreaterThan(3);
    expect(kept.map((s) => s.labels.endpoint).sort()).toEqual(soonest.map((s) => s.labels.endpoint).sort());
    expect(family(families, "pkiscope_certificate_series_dropped").samples.map((s) => s.value)).toEqual([all.length - 3]);
  });

  it("serves /metrics with --serve until interrupted", async () => {
    const stderr = new PassThrough();
    let log = "";
    stderr.on("data", (d: Buffer) => (log += d.toString()));
    const interrupt = new AbortController();
    const exit = runCli(["metrics", "--db", db, "--serve", "0"], { stdout: new PassThrough(), stderr, env: {}, interrupt: interrupt.signal });
    const deadline = Date.now() + 30_000;
    while (!/http:\/\/127\.0\.0\.1:\d+\/metrics/.test(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /http:\/\/127\.0\.0\.1:\d+\/metrics/.exec(log)?.[0];
    expect(url, log).toBeDefined();
    const response = await request(url!, { headersTimeout: 30_000 });
    expect(response.statusCode).toBe(200);
    expect(parsePrometheusText(await response.body.text()).has("pkiscope_findings")).toBe(true);
    interrupt.abort();
    expect(await exit).toBe(0);
  });

  it("refuses a bad --serve port or cap with a usage error", async () => {
    expect((await runInProcess(["metrics", "--db", db, "--serve", "70000"])).code).toBe(2);
    expect((await runInProcess(["metrics", "--db", db, "--max-certificate-series", "-1"])).code).toBe(2);
  });
});

describe("label values", () => {
  it("replace control characters and are cut by code point, never inside a surrogate pair", () => {
    expect(labelValue("a\nb\r\u0000c\u007f", 100)).toBe("a\uFFFDb\uFFFD\uFFFDc\uFFFD");
    expect(labelValue("ab😀😀", 4)).toBe("ab😀😀");
    expect(labelValue("ab😀😀x", 4)).toBe("ab😀…");
  });
});

describe("the test's exposition parser", () => {
  it("reads what the format allows and refuses what it does not", () => {
    const good = '# HELP m a\\\\b\n# TYPE m gauge\nm{a="x\\"y\\nz"} 1.5e3\nm{a="w"} NaN\n';
    expect(parsePrometheusText(good).get("m")!.samples.map((s) => s.labels.a)).toEqual(['x"y\nz', "w"]);
    for (const bad of [
      'm{a="x"} 1', // no final line feed
      'm{a="x} 1\n', // unclosed value
      'm{a="x\\q"} 1\n', // unknown escape
      "m 1 2 3\n", // extra field
      "m one\n", // not a float
      "1m 1\n", // bad name
      'm{a="1",a="2"} 1\n', // repeated label
      "m 1\nm 2\n", // repeated series
      "# TYPE m gauge\nm 1\n# TYPE m gauge\n", // second TYPE
      "# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm{a=\"1\"} 1\n", // family split
    ]) expect(() => parsePrometheusText(bad), JSON.stringify(bad)).toThrow();
  });
});
