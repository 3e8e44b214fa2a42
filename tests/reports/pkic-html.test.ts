// The PKI Consortium ratings in the HTML report, from a real scan of the sample network on
// loopback: the scan scores them from the same metrics as the main model and saves them with the
// run; the section lists all 16 categories with the ratings scored, each requirement the scan
// bears on with its level, why and evidence linked to its row, and every interview-only
// requirement marked and folded away; report.json validates with them; a run saved before them
// still renders; a tuned mapping (--pkic-mapping) is the one used, a bad one a usage error before
// any packet, and what it names is escaped.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import { UsageError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { computeMetrics } from "../../src/maturity/metrics.js";
import { type PkicMapping, defaultPkicMappingPath, loadPkicMapping, scorePkic } from "../../src/maturity/pkic.js";
import type { EvidenceRef } from "../../src/model/evidence.js";
import type { PkicCategoryRating, PkicRange, PkicRequirementRating } from "../../src/model/pkic.js";
import { escapeHtml } from "../../src/reports/escape.js";
import { evidenceAnchor, renderHtml } from "../../src/reports/html.js";
import { renderJson } from "../../src/reports/json.js";
import { metricValue, percent } from "../../src/reports/maturity-html.js";
import { type Report, buildReport, storedRunReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { fragmentLinks, ids, slice } from "./markup.js";
import { runInProcess } from "../cli/cli-helpers.js";

const schema: unknown = JSON.parse(readFileSync(new URL("../../docs/report.schema.json", import.meta.url), "utf8"));
const validate = new Ajv({ allErrors: true }).compile(schema as object);
const SHIPPED = loadPkicMapping();
const PKIC_LEVEL_NAMES = ["Initial", "Basic", "Advanced", "Managed", "Optimized"];

let network: SampleNetwork;
let dir: string;
let dbPath: string;
let outcome: ScanOutcome;
let report: Report;
let page: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-pkic-html-"));
  network = await startSampleNetwork({ prefix: "127.118.0", port: 9463, workDir: join(dir, "sample") });
  dbPath = join(dir, "store.db");
  const store = new SqliteStore(dbPath);
  try {
    outcome = await runScan(store, sampleScanPlan(network, 1000), { log: silentLogger, signal: new AbortController().signal });
  } finally {
    await store.close();
  }
  report = buildReport(outcome.view, outcome.conclusions);
  page = renderHtml(report);
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const pkicPart = (markup: string): string => slice(markup, '<section id="pkic">', "</section>");
const categoryRow = (markup: string, id: string): string => slice(pkicPart(markup), `<tr data-category="${id}">`, "</tr>");
const categoryBlock = (markup: string, id: string): string => slice(pkicPart(markup), `<article class="pkic-category" id="pkic-${id}">`, "</article>");
const interviewList = (markup: string): string => slice(pkicPart(markup), '<details class="pkic-interview" id="pkic-interview">', "</details>");
const requirementItem = (markup: string, id: string): string => slice(markup, `<li class="pkic-requirement" data-requirement="${id}"`, "</li>");
const requirementsOf = (r: Report): PkicRequirementRating[] => r.pkic!.categories.flatMap((c) => c.requirements);

/** How the section writes a weighted rating and a range: one decimal, computed here from the numbers. */
const rating = (c: { rating: number | null }): string => (c.rating === null ? "not rated" : `${c.rating.toFixed(1)} of 5`);
const range = ({ min, max }: PkicRange, decimals: number): string =>
  min.toFixed(decimals) === max.toFixed(decimals) ? min.toFixed(decimals) : `${min.toFixed(decimals)}–${max.toFixed(decimals)}`;

/** What the inventory row of a cited object shows of that very object. */
function rowNames(r: Report, ref: EvidenceRef): string {
  if (ref.kind === "certificate") return `title="SHA-256 ${ref.id}"`;
  if (ref.kind === "finding") return escapeHtml(r.findings.find((f) => f.id === ref.id)!.message);
  if (ref.kind === "endpoint") {
    const e = r.inventory.endpoints.find((x) => x.id === ref.id)!;
    return `<code>${escapeHtml(`${e.address}:${e.port}`)}</code>`;
  }
  return `<code>${escapeHtml(ref.id)}</code>`;
}

describe("the scan", () => {
  it("scores the PKIC model from the same metrics as the main model, with the shipped mapping, and saves it with the run", async () => {
    const store = new SqliteStore(dbPath);
    try {
      const history = await store.runHistory(outcome.run.id);
      const metrics = computeMetrics(outcome.view, outcome.conclusions, history.earlier);
      expect(report.pkic).toEqual(scorePkic(metrics, SHIPPED));
      expect(report.pkic!.mapping.sha256).toBe(createHash("sha256").update(readFileSync(defaultPkicMappingPath())).digest("hex"));
      const stored = storedRunReport(await store.loadRun(outcome.run.id));
      expect(JSON.parse(JSON.stringify(stored.pkic))).toEqual(JSON.parse(JSON.stringify(report.pkic)));
    } finally {
      await store.close();
    }
  });

  it("writes a report.json that validates against docs/report.schema.json, pkic included", () => {
    const json = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(json.pkic).toEqual(JSON.parse(JSON.stringify(report.pkic)));
    expect(validate(json), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The schema describes pkic, not merely tolerates it.
    const broken = structuredClone(json) as { pkic: { categories: { requirements: { suggestedLevel: unknown }[] }[] } };
    broken.pkic.categories[0]!.requirements[0]!.suggestedLevel = 6;
    expect(validate(broken)).toBe(false);
  });
});

describe("the PKI Consortium section", () => {
  it("follows the maturity picture, titled as suggested ratings, with no script", () => {
    expect(page.indexOf('<section id="maturity">')).toBeGreaterThanOrEqual(0);
    expect(page.indexOf('<section id="maturity">')).toBeLessThan(page.indexOf('<section id="pkic">'));
    expect(page.indexOf('<section id="pkic">')).toBeLessThan(page.indexOf('<section id="summary">'));
    const section = pkicPart(page);
    expect(section).toContain("<h2>PKI Consortium model (suggested ratings)</h2>");
    expect(section).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it("lists all 16 categories in the model's order, each with its module, weight, rating, weight rated and range as scored", () => {
    const section = pkicPart(page);
    const listed = [...section.matchAll(/<tr data-category="([^"]+)">/g)].map((m) => m[1]);
    expect(listed).toEqual(SHIPPED.data.categories.map((c) => c.id));
    expect(listed).toHaveLength(16);
    const moduleNames = new Map(report.pkic!.modules.map((m) => [m.id, m.name]));
    const totalWeight = report.pkic!.categories.reduce((sum, c) => sum + c.weight, 0);
    for (const c of report.pkic!.categories) {
      const row = categoryRow(page, c.id);
      const interviewOnly = c.requirements.every((r) => r.status === "interview");
      expect(row).toContain(`>${c.id} ${escapeHtml(c.name)}</a>`);
      expect(row).toContain(`<td>${escapeHtml(moduleNames.get(c.module)!)}</td>`);
      expect(row).toContain(`<td>${c.weight} <span class="note">of ${totalWeight}</span></td>`);
      expect(row).toContain(interviewOnly ? '<span class="note">interview only</span>' : `<td>${rating(c)}</td>`);
      expect(row).toContain(`<td>${percent(c.coverage)}</td>`);
      expect(row).toContain(`<td>${range(c.bounds, 1)}</td>`);
      if (c.interviewOnly.length > 0) expect(row).toContain(`<span class="pkic-interview-mark">${c.interviewOnly.length} interview</span>`);
    }
    // The sample network exercises every kind of row: rated, with nothing rated, and interview only.
    const kinds = new Set(report.pkic!.categories.map((c) =>
      c.requirements.every((r) => r.status === "interview") ? "interview" : c.rating === null ? "unrated" : "rated"));
    expect([...kinds].sort()).toEqual(["interview", "rated", "unrated"]);
  });

  it("gives the overall rating and each module's, weighted, with what share of the weight the evidence rated", () => {
    const { overall, modules } = report.pkic!;
    expect(overall.rating).not.toBeNull();
    expect(pkicPart(page)).toContain(
      `Suggested overall rating: <strong>${rating(overall)}</strong>, from evidence covering ${percent(overall.coverage)} of the model's weight; range ${range(overall.bounds, 1)}.`,
    );
    for (const m of modules) expect(pkicPart(page)).toContain(`${escapeHtml(m.name)} ${rating(m)} (${percent(m.coverage)} of its weight rated)`);
  });

  it("shows every requirement the scan bears on in its category, with its weight, suggested level, range, why and measurements", () => {
    const shown: string[] = [];
    for (const c of report.pkic!.categories) {
      const evidence = c.requirements.filter((r) => r.status !== "interview");
      if (evidence.length === 0) continue;
      const block = categoryBlock(page, c.id);
      expect(block).toContain(`<span class="pkic-badge">${rating(c)}</span>`);
      const requirementWeight = c.requirements.reduce((sum, r) => sum + r.weight, 0);
      for (const r of evidence) {
        const item = requirementItem(block, r.id);
        expect(item).toContain(`data-status="${r.status}"`);
        expect(item).toContain(`<code>${r.id}</code> ${escapeHtml(r.name)} <span class="note">· weight ${r.weight} of ${requirementWeight}</span>`);
        const verdict = r.suggestedLevel === null ? "not assessed" : `suggested level ${r.suggestedLevel} ${PKIC_LEVEL_NAMES[r.suggestedLevel - 1]}`;
        expect(item).toContain(`<span class="pkic-verdict">${verdict}</span> <span class="note">· range ${range(r.bounds, 0)}</span>`);
        expect(item).toContain(`Why: ${escapeHtml(r.why)}</div>`);
        for (const [metric, value] of Object.entries(r.metrics)) expect(item).toContain(`<code>${metric}</code> ${value === null ? "not observed" : metricValue(metric, value)}`);
        for (const step of r.toObserve) expect(item).toContain(escapeHtml(step));
        expect(item).not.toContain("pkic-interview-mark");
        shown.push(r.id);
      }
    }
    const evidenceRequirements = SHIPPED.data.categories.flatMap((c) => c.requirements.filter((r) => r.assessment === "evidence").map((r) => r.id));
    expect(shown).toEqual(evidenceRequirements);
    // Rated, not assessed and partly open requirements are all on show.
    const statuses = requirementsOf(report).map((r) => r.status);
    expect(statuses).toContain("rated");
    expect(statuses).toContain("not-assessed");
    expect(requirementsOf(report).some((r) => r.status === "rated" && r.bounds.max > r.bounds.min && r.toObserve.length > 0)).toBe(true);
  });

  it("marks every interview-only requirement 'interview', folded in one <details>, and nothing else", () => {
    const interview = requirementsOf(report).filter((r) => r.status === "interview");
    expect(interview.map((r) => r.id)).toEqual(
      SHIPPED.data.categories.flatMap((c) => c.requirements.filter((r) => r.assessment === "interview").map((r) => r.id)),
    );
    const folded = interviewList(page);
    expect(folded).toContain(`<summary>${interview.length} requirements only an interview can assess</summary>`);
    expect(folded).not.toMatch(/<details\s[^>]*open/);
    for (const r of interview) {
      expect(requirementItem(folded, r.id)).toContain(`<span class="pkic-interview-mark">interview</span> <code>${r.id}</code> ${escapeHtml(r.name)}`);
    }
    const itemsIn = (markup: string): string[] => [...markup.matchAll(/<li class="pkic-requirement" data-requirement="([^"]+)" data-status="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(itemsIn(folded)).toEqual(interview.map((r) => `${r.id} interview`));
    // Outside the list, no requirement is shown as an interview one.
    expect(itemsIn(pkicPart(page).replace(folded, "")).filter((item) => item.endsWith(" interview"))).toEqual([]);
    // Each category with interview requirements has its heading in the list, and its block points there.
    for (const c of report.pkic!.categories.filter((x) => x.interviewOnly.length > 0)) {
      expect(folded).toContain(`<h4 id="pkic-interview-${c.id}">${c.id} ${escapeHtml(c.name)}</h4>`);
      const pointsTo = c.requirements.every((r) => r.status === "interview") ? categoryRow(page, c.id) : categoryBlock(page, c.id);
      expect(fragmentLinks(pointsTo)).toContain(`pkic-interview-${c.id}`);
    }
  });

  it("links every piece of evidence of every requirement to the row of the object it names", () => {
    const present = ids(page);
    const cited = new Set<string>();
    for (const c of report.pkic!.categories) {
      for (const r of c.requirements.filter((x) => x.evidence.length > 0)) {
        const item = requirementItem(categoryBlock(page, c.id), r.id);
        expect(fragmentLinks(item)).toHaveLength(r.evidence.length);
        for (const ref of r.evidence) {
          const tag = [...item.matchAll(/<a\s[^>]*>/g)].map((m) => m[0]).find((t) => t.includes(`title="${escapeHtml(`${ref.kind} ${ref.id}`)}"`));
          expect(tag, `${r.id}: ${ref.kind} ${ref.id}`).toBeDefined();
          const anchor = evidenceAnchor(ref.kind, ref.id);
          expect(tag).toContain(`href="#${anchor}"`);
          expect(slice(page, `<tr id="${anchor}">`, "</tr>")).toContain(rowNames(report, ref));
          cited.add(ref.kind);
        }
      }
    }
    expect([...cited].sort()).toEqual(["certificate", "crl", "endpoint"]);
    // Every link of the section lands on an element of the document; ids stay unique.
    const links = fragmentLinks(pkicPart(page));
    expect(links.length).toBeGreaterThan(50);
    for (const link of links) expect(present, `#${link}`).toContain(link);
    expect(new Set(present).size).toBe(present.length);
  });
});

describe("a run analysed before PKIC ratings existed", () => {
  it("loads with pkic null, renders without the section, and its report.json still validates", async () => {
    const db = new Database(dbPath);
    try {
      const row = db.prepare("SELECT data FROM conclusions WHERE run_id = ?").pluck().get(outcome.run.id) as string;
      const saved = JSON.parse(row) as Record<string, unknown>;
      expect(saved.pkic).toBeDefined();
      delete saved.pkic;
      db.prepare("UPDATE conclusions SET data = ? WHERE run_id = ?").run(JSON.stringify(saved), outcome.run.id);
    } finally {
      db.close();
    }
    const store = new SqliteStore(dbPath);
    let old: Report;
    try {
      old = storedRunReport(await store.loadRun(outcome.run.id));
    } finally {
      await store.close();
    }
    expect(old.pkic).toBeNull();
    expect(old.maturity).toEqual(JSON.parse(JSON.stringify(report.maturity)));
    const markup = renderHtml(old);
    expect(markup).not.toContain('<section id="pkic">');
    expect(markup).toContain('<section id="maturity">');
    const present = ids(markup);
    for (const link of fragmentLinks(markup)) expect(present, `#${link}`).toContain(link);
    expect(validate(JSON.parse(renderJson(old))), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });
});

describe("--pkic-mapping", () => {
  it("scores with a tuned mapping, and escapes what it names", async () => {
    const tuned = structuredClone(SHIPPED.data) as PkicMapping;
    const automation = tuned.categories.find((c) => c.id === "11")!;
    automation.weight = 7;
    automation.name = `Automation <script>alert("cat")</script>`;
    automation.requirements[0]!.name = `"><img src=x onerror=alert(1)>`;
    tuned.model.name = "PKIMM <b>tuned</b>";
    const path = join(dir, "tuned-pkic.json");
    await writeFile(path, JSON.stringify(tuned));
    const store = new SqliteStore(join(dir, "tuned.db"));
    let tunedReport: Report;
    try {
      // Only the sample's certificate files: the mapping, not the sweep, is under test.
      const plan = { ...sampleScanPlan(network, 1000), targetTexts: [], specs: [], pkicMapping: path };
      const scanned = await runScan(store, plan, { log: silentLogger, signal: new AbortController().signal });
      tunedReport = buildReport(scanned.view, scanned.conclusions);
    } finally {
      await store.close();
    }
    const pkic = tunedReport.pkic!;
    expect(pkic.mapping.sha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    const category: PkicCategoryRating = pkic.categories.find((c) => c.id === "11")!;
    expect(category.weight).toBe(7);
    expect(category.name).toBe(automation.name);
    const markup = renderHtml(tunedReport);
    expect(markup).not.toMatch(/<script|<img|<b>tuned/i);
    expect(categoryRow(markup, "11")).toContain(`>11 ${escapeHtml(automation.name)}</a>`);
    expect(markup).toContain(escapeHtml(automation.requirements[0]!.name));
    expect(markup).toContain(escapeHtml(tuned.model.name));
  });

  it("rejects a bad mapping as a usage error before any packet: no run is created, and the CLI exits 2 with one line", async () => {
    const bad = structuredClone(SHIPPED.data) as { categories: { weight: unknown }[] };
    bad.categories[0]!.weight = -1;
    const path = join(dir, "bad-pkic.json");
    await writeFile(path, JSON.stringify(bad));
    const store = new SqliteStore(join(dir, "bad.db"));
    try {
      const plan = { ...sampleScanPlan(network, 1000), pkicMapping: path };
      await expect(runScan(store, plan, { log: silentLogger, signal: new AbortController().signal })).rejects.toThrow(UsageError);
      expect(await store.listRuns()).toEqual([]);
    } finally {
      await store.close();
    }
    const cliDb = join(dir, "cli.db");
    const result = await runInProcess(["scan", "--targets", "127.118.0.2", "--pkic-mapping", path, "--db", cliDb]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`PKIC mapping ${path}: at categories.0.weight:`);
    expect(existsSync(cliDb)).toBe(false);
  });
});
