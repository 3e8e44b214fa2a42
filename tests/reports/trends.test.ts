// Trends and first/last seen in the report, over real loopback scans of a network that changes
// between three runs of the same targets: "renew" gets a new leaf, "gone" stops listening,
// "rogue" appears with its own untrusted CA; "steady" (a hostile subject, expiring in 5 days) and
// "expired" stay. A scan of other targets and a run that never finished sit between, so the
// series must pass them over. Expected values come from the diff engine and from the certificates
// themselves (notAfter against the validation time).
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import { readRunDiff } from "../../src/engine/diff.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import { readReportHistory } from "../../src/engine/trends.js";
import { silentLogger } from "../../src/log.js";
import { MATURITY_CATEGORIES } from "../../src/model/maturity.js";
import { escapeHtml } from "../../src/reports/escape.js";
import { renderHtml } from "../../src/reports/html.js";
import { type Report, buildReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runInProcess } from "../cli/cli-helpers.js";
import { ChangingNetwork } from "../engine/changing-network.js";
import { slice } from "./markup.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const PORT = 9443;
const ADDRESSES = { steady: "127.150.0.2", renew: "127.150.0.3", gone: "127.150.0.4", rogue: "127.150.0.5", expired: "127.150.0.6" } as const;
type Name = keyof typeof ADDRESSES;
const ENDPOINT = Object.fromEntries(Object.entries(ADDRESSES).map(([name, address]) => [name, `${address}:${PORT}`])) as Record<Name, string>;
const HOSTILE_CN = `steady <script>alert("x")</script> & 'co'`;

const days = (n: number) => new Date(Date.now() + n * DAY);
const sha256 = (c: SampleCertificate) => createHash("sha256").update(c.der).digest("hex");
function issue(cn: string, issuer: SampleCertificate | null, notAfter: Date, ca = false): SampleCertificate {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const built = buildCertificate({
    subject: [["O", "pkiscope trends"], ["CN", cn]], publicKey: key.publicKey,
    ...(issuer ? { issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey } } : { selfSignKey: key.privateKey }),
    notBefore: days(-30), notAfter,
    ...(ca ? { isCA: true, keyUsage: ["keyCertSign", "cRLSign"] } : { dnsNames: ["trends.test"], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"] }),
  });
  return { ...built, privateKey: key.privateKey };
}

let dir: string;
let db: string;
let anchors: string;
let store: SqliteStore;
const pki = {} as Record<"root" | "intermediate" | "rogueRoot" | "steady" | "renew1" | "renew2" | "gone" | "rogue" | "expired", SampleCertificate>;
let runs: ScanOutcome[];
let report: Report;

const network = new ChangingNetwork(ADDRESSES, PORT);
const scan = (targets: string[] = Object.values(ADDRESSES)) => runScan(store, network.plan(anchors, targets), { log: silentLogger, signal: new AbortController().signal });
const reportOf = async (outcome: ScanOutcome) => buildReport(outcome.view, outcome.conclusions, await readReportHistory(store, outcome.view, outcome.conclusions));
const observedAt = (outcome: ScanOutcome, name: Name) => outcome.view.endpoints.find((e) => e.id === ENDPOINT[name])!.observedAt;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-trends-"));
  db = join(dir, "trends.db");
  anchors = join(dir, "anchors.pem");
  pki.root = issue("Trends Root CA", null, days(3650), true);
  pki.intermediate = issue("Trends Issuing CA", pki.root, days(1800), true);
  pki.rogueRoot = issue("Trends Rogue CA", null, days(365), true);
  pki.steady = issue(HOSTILE_CN, pki.intermediate, days(5));
  pki.renew1 = issue("renew 1", pki.intermediate, days(20));
  pki.renew2 = issue("renew 2", pki.intermediate, days(60));
  pki.gone = issue("gone", pki.intermediate, days(40));
  pki.rogue = issue("rogue", pki.rogueRoot, days(100));
  pki.expired = issue("expired", pki.intermediate, days(-2));
  await writeFile(anchors, pki.root.pem);
  store = new SqliteStore(db);
  await network.serve("steady", [pki.steady, pki.intermediate]);
  await network.serve("renew", [pki.renew1, pki.intermediate]);
  await network.serve("gone", [pki.gone, pki.intermediate]);
  await network.serve("expired", [pki.expired, pki.intermediate]);
  const first = await scan();
  await scan([ADDRESSES.gone]);
  await store.createRun({ targets: Object.values(ADDRESSES), ports: [PORT], options: {} });
  await network.stop("renew");
  await network.serve("renew", [pki.renew2, pki.intermediate]);
  const second = await scan();
  await network.stop("gone");
  await network.serve("rogue", [pki.rogue, pki.rogueRoot]);
  const third = await scan();
  runs = [first, second, third];
  report = await reportOf(third);
}, 180_000);

afterAll(async () => {
  await network.stopAll();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("trends over the runs of a series", () => {
  it("holds the complete runs of the same targets up to this one, oldest first", () => {
    expect(report.trends.runs.map((r) => r.id)).toEqual(runs.map((r) => r.run.id));
    expect(report.trends.runs.map((r) => r.startedAt)).toEqual(runs.map((r) => r.run.startedAt));
  });

  it("counts findings opened and resolved as the diff of each run against the one before", async () => {
    expect(report.trends.runs[0]).toMatchObject({ opened: null, resolved: null, findings: runs[0]!.conclusions.findings.length });
    for (const i of [1, 2]) {
      const diff = await readRunDiff(store, runs[i - 1]!.run, runs[i]!.run);
      expect(report.trends.runs[i]).toMatchObject({
        opened: diff.findings.opened.length, resolved: diff.findings.resolved.length, findings: runs[i]!.conclusions.findings.length,
      });
    }
    // The network changed: the renewal resolved the old leaf's expiring-soon, the rogue endpoint opened findings.
    expect(report.trends.runs[1]!.resolved).toBeGreaterThan(0);
    expect(report.trends.runs[2]!.opened).toBeGreaterThan(0);
  });

  it("gives each run's maturity level per category and overall as the diff sees them", async () => {
    const diff = await readRunDiff(store, runs[1]!.run, runs[2]!.run);
    for (const m of diff.maturity) {
      expect(report.trends.runs[1]!.maturity[m.category], m.category).toBe(m.from);
      expect(report.trends.runs[2]!.maturity[m.category], m.category).toBe(m.to);
    }
    for (const [i, outcome] of runs.entries()) {
      for (const c of MATURITY_CATEGORIES) expect(report.trends.runs[i]!.maturity[c]).toBe(outcome.conclusions.maturity!.categories[c].level);
    }
  });

  it("buckets certificates in service by the week their notAfter falls in, from the validation time", () => {
    const from = Date.parse(report.analysis.validationTime);
    const weekOf = (c: SampleCertificate) => Math.floor((Date.parse(runs[2]!.view.bySha.get(sha256(c))!.record.notAfter) - from) / WEEK) + 1;
    expect(weekOf(pki.steady)).toBe(1);
    expect(weekOf(pki.renew2)).toBe(9);
    const expected = new Map([[1, [sha256(pki.steady)]], [9, [sha256(pki.renew2)]]]);
    expect(report.trends.expiring.map((w) => w.week)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    for (const w of report.trends.expiring) {
      expect(w.certificates, `week ${w.week}`).toEqual(expected.get(w.week) ?? []);
      expect(w.count).toBe(w.certificates.length);
      expect(Date.parse(w.from)).toBe(from + (w.week - 1) * WEEK);
      expect(Date.parse(w.to)).toBe(from + w.week * WEEK);
    }
    // Expired already, past 13 weeks (the rogue leaf, 100 days), or a CA years away: in no week.
    const bucketed = report.trends.expiring.flatMap((w) => w.certificates);
    for (const c of [pki.expired, pki.rogue, pki.intermediate]) expect(bucketed).not.toContain(sha256(c));
  });

  it("with one run of the series only, holds that run alone", async () => {
    const alone = await reportOf(runs[0]!);
    expect(alone.trends.runs).toEqual([expect.objectContaining({ id: runs[0]!.run.id, opened: null, resolved: null })]);
    const section = slice(renderHtml(alone), '<section id="trends">', "</section>");
    expect(section).toContain("the only run of its series");
    expect(section.match(/<svg\s/g)).toHaveLength(1);
    expect(section).toContain("trend-expiring");
  });
});

describe("first and last seen in report.json", () => {
  it("names when the store's complete runs first and last saw each certificate, CA and endpoint", () => {
    const certificate = (c: SampleCertificate) => report.inventory.certificates.find((x) => x.sha256 === sha256(c))!;
    expect(certificate(pki.intermediate)).toMatchObject({ firstSeen: observedAt(runs[0]!, "steady"), lastSeen: observedAt(runs[2]!, "expired") });
    expect(certificate(pki.renew2)).toMatchObject({ firstSeen: observedAt(runs[1]!, "renew"), lastSeen: observedAt(runs[2]!, "renew") });
    expect(certificate(pki.rogue)).toMatchObject({ firstSeen: observedAt(runs[2]!, "rogue"), lastSeen: observedAt(runs[2]!, "rogue") });
    expect(report.inventory.cas.find((ca) => ca.sha256 === sha256(pki.intermediate))).toMatchObject(
      { firstSeen: certificate(pki.intermediate).firstSeen, lastSeen: certificate(pki.intermediate).lastSeen });
    // The anchor was only ever an anchor sighting.
    expect(report.inventory.cas.find((ca) => ca.sha256 === sha256(pki.root))).toMatchObject({ firstSeen: null, lastSeen: null });
    const endpoint = (name: Name) => report.inventory.endpoints.find((e) => e.id === ENDPOINT[name])!;
    expect(endpoint("renew")).toMatchObject({ firstSeen: observedAt(runs[0]!, "renew"), lastSeen: observedAt(runs[2]!, "renew") });
    expect(endpoint("rogue")).toMatchObject({ firstSeen: observedAt(runs[2]!, "rogue"), lastSeen: observedAt(runs[2]!, "rogue") });
  });

  it("stops at the reported run, so an earlier run's report reads as it did", async () => {
    const earlier = await reportOf(runs[1]!);
    expect(earlier.trends.runs.map((r) => r.id)).toEqual([runs[0]!.run.id, runs[1]!.run.id]);
    const intermediate = earlier.inventory.certificates.find((c) => c.sha256 === sha256(pki.intermediate))!;
    expect(intermediate.lastSeen).toBe(observedAt(runs[1]!, "expired"));
  });

  it("is what pkiscope report writes, and the schema accepts it", async () => {
    const result = await runInProcess(["report", "--db", db, "--run", runs[2]!.run.id, "--format", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const written = JSON.parse(result.stdout) as Report;
    expect(written.trends).toEqual(report.trends);
    expect(written.inventory.certificates.map((c) => [c.sha256, c.firstSeen, c.lastSeen])).toEqual(
      report.inventory.certificates.map((c) => [c.sha256, c.firstSeen, c.lastSeen]));
    const schema = JSON.parse(await readFile(new URL("../../docs/report.schema.json", import.meta.url), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(written), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });
});

describe("the Trends section of report.html", () => {
  let section: string;
  let svgs: string[];
  beforeAll(() => {
    section = slice(renderHtml(report), '<section id="trends">', "</section>");
    svgs = [...section.matchAll(/<svg\s[\s\S]*?<\/svg>/g)].map((m) => m[0]);
  });

  it("draws three well-formed SVG charts, each with a title, a description and a table beneath", () => {
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) {
      expect(XMLValidator.validate(svg)).toBe(true);
      expect(svg).toMatch(/^<svg [^>]*role="img" aria-label="[^"]+"/);
      expect(svg).toMatch(/<title>[^<]+<\/title>\n<desc>[^<]+<\/desc>/);
    }
    expect(section.match(/<summary>The numbers as a table<\/summary><table>/g)).toHaveLength(3);
    expect(section).not.toMatch(/<script|<img|<image|href="http|xlink/i);
  });

  it("plots each category's level per run, leaving a gap where a run had none", () => {
    const chart = svgs.find((s) => s.includes("trend-maturity"))!;
    for (const panel of [...MATURITY_CATEGORIES, "overall"] as const) {
      const g = slice(chart, `<g class="trend-panel" data-category="${panel}">`, "</g>");
      const levels = report.trends.runs.map((r) => r.maturity[panel]);
      const points = [...g.matchAll(/<circle [^>]*data-run="([^"]+)" data-level="(\d)"/g)].map((m) => [m[1], Number(m[2])]);
      expect(points, panel).toEqual(report.trends.runs.flatMap((r) => (r.maturity[panel] === null ? [] : [[r.id, r.maturity[panel]]])));
      const joined = levels.slice(1).filter((l, i) => l !== null && levels[i] !== null).length;
      expect(g.match(/<line class="trend"/g)?.length ?? 0, panel).toBe(joined);
    }
    // A run in the middle without a level: its neighbours keep their points, no line crosses the gap.
    const gapped = structuredClone(report);
    for (const [i, level] of [2, null, 3].entries()) gapped.trends.runs[i]!.maturity.security = level;
    const security = slice(renderHtml(gapped), '<g class="trend-panel" data-category="security">', "</g>");
    expect([...security.matchAll(/data-level="(\d)"/g)].map((m) => Number(m[1]))).toEqual([2, 3]);
    expect(security).not.toContain('<line class="trend"');
  });

  it("draws findings opened and resolved as paired bars and the 13 weeks as bars, with the numbers of the report", () => {
    const findings = svgs.find((s) => s.includes("trend-findings"))!;
    const bars = [...findings.matchAll(/data-run="([^"]+)" data-kind="(opened|resolved)" data-count="(\d+)"/g)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(bars).toEqual(report.trends.runs.slice(1).flatMap((r) => [[r.id, "opened", r.opened], [r.id, "resolved", r.resolved]]));
    const expiring = svgs.find((s) => s.includes("trend-expiring"))!;
    const weeks = [...expiring.matchAll(/data-week="(\d+)" data-count="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(weeks).toEqual(report.trends.expiring.map((w) => [w.week, w.count]));
    for (const w of report.trends.expiring) expect(expiring).toContain(`>week ${w.week}</text>`);
  });

  it("escapes the hostile subject of the certificate expiring in week 1 and links it to its row", () => {
    const subject = runs[2]!.view.bySha.get(sha256(pki.steady))!.record.subject;
    expect(subject).toContain("<script");
    expect(section).not.toContain(subject);
    expect(section).not.toContain("<script");
    expect(section).toContain(escapeHtml(subject));
    expect(section).toContain(`href="#cert-${sha256(pki.steady)}"`);
  });
});
