// pkiscope maturity, questionnaire init and assess against real scans: two organisations' networks
// scanned as two runs into one store are scored as one organisation (evidence citing each run),
// the answers file is written, filled in and held against the evidence, and bad input is one
// clear error with exit code 2.
import { readFileSync } from "node:fs";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Organisation, scanOrganisation, startOrganisation } from "../../fixtures/organisations/index.js";
import type { Assessment } from "../../src/model/assessment.js";
import type { MaturityScore } from "../../src/model/maturity.js";
import { runInProcess } from "./cli-helpers.js";

let dir: string;
let db: string;
const orgs: Organisation[] = [];
const runs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-assess-cli-"));
  db = join(dir, "two-sites.db");
  // Two sites of one organisation: the foundational one's network and the transformative one's.
  orgs.push(await startOrganisation("foundational", { prefix: "127.102.0", port: 9472, workDir: join(dir, "site-a") }));
  orgs.push(await startOrganisation("transformative", { prefix: "127.103.0", port: 9472, workDir: join(dir, "site-b") }));
  for (const org of orgs) runs.push((await scanOrganisation(org, { dbPath: db })).runId);
}, 300_000);

afterAll(async () => {
  await Promise.all(orgs.map((o) => o.stop()));
  await rm(dir, { recursive: true, force: true });
});

interface MaturityJson {
  runs: string[];
  maturity: MaturityScore;
  metrics: Record<string, { value: number | null; count?: number; total?: number; evidence: { kind: string; id: string; run?: string }[] }>;
}

async function maturityOf(...runArgs: string[]): Promise<MaturityJson> {
  const result = await runInProcess(["maturity", "--db", db, ...runArgs.flatMap((r) => ["--run", r]), "--format", "json", "-q"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as MaturityJson;
}

describe("pkiscope maturity", () => {
  it("scores several runs as one organisation, each piece of evidence citing the run it was seen in", async () => {
    const [a, b] = [await maturityOf(runs[0]!), await maturityOf(runs[1]!)];
    const both = await maturityOf(runs[0]!, runs[1]!);
    expect(both.runs).toEqual(runs);
    // The union holds both sites' endpoints and CAs.
    const endpoints = (m: MaturityJson) => m.metrics["endpoints.sanctioned-share"]!.total!;
    expect(endpoints(both)).toBe(endpoints(a) + endpoints(b));
    expect(both.metrics["cas.issuing"]!.value).toBe(a.metrics["cas.issuing"]!.value! + b.metrics["cas.issuing"]!.value!);
    const cited = Object.values(both.maturity.categories).flatMap((c) => c.criteria.flatMap((k) => k.evidence));
    expect(new Set(cited.map((ref) => ref.run))).toEqual(new Set(runs));
    const siteA = new Set(a.metrics["endpoints.sanctioned-share"]!.evidence.map((ref) => ref.id));
    for (const ref of both.metrics["endpoints.sanctioned-share"]!.evidence) expect(ref.run).toBe(siteA.has(ref.id) ? runs[0] : runs[1]);
    // Site A issues by hand (one-year certificates): together the sites automate less than site B alone.
    expect(both.metrics["tls.short-lived-share"]!.value!).toBeLessThan(b.metrics["tls.short-lived-share"]!.value!);
  });

  it("prints a line per category, and refuses an unknown run with exit code 2", async () => {
    const text = await runInProcess(["maturity", "--db", db, "--run", runs[0]!, "--run", runs[1]!]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Reliability +\d \w+ +range \d-\d +confidence \d+%/m);
    expect(text.stdout).toMatch(/^Strategy +not assessed +range 0-4/m);
    const missing = await runInProcess(["maturity", "--db", db, "--run", "no-such-run"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run "no-such-run" in the store');
    expect(missing.stderr).not.toContain("    at ");
    // A prefix both runs share is the user's to lengthen; a wildcard is just text.
    const ambiguous = await runInProcess(["maturity", "--db", db, "--run", ""]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('run id prefix "" is ambiguous');
    expect((await runInProcess(["maturity", "--db", db, "--run", "%"])).stderr).toContain('no run "%" in the store');
  });
});

describe("pkiscope questionnaire init and assess", () => {
  it("writes the answers file, refuses to overwrite it, and assesses the filled-in answers into three documents", async () => {
    const answers = join(dir, "answers.yaml");
    expect((await runInProcess(["questionnaire", "init", "--out", answers])).code).toBe(0);
    const again = await runInProcess(["questionnaire", "init", "--out", answers]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists");
    const hostile = '"<script>alert(1)</script> & <img src=x onerror=alert(2)>"';
    const filled = (await readFile(answers, "utf8"))
      .replace(/^( {4}answer:).*$/gm, "$1 yes")
      .replace(/^( {4}comment:).*$/m, `$1 ${hostile}`);
    await writeFile(answers, filled);
    const out = join(dir, "assessment");
    const result = await runInProcess(["assess", "--answers", answers, "--db", db, "--run", runs[0]!, "--run", runs[1]!, "--out", out]);
    expect(result.stderr).toMatch(/assessment: \d+ contradicted, \d+ supported, \d+ without evidence/);
    expect(result.code).toBe(0);
    const assessment = JSON.parse(await readFile(join(out, "assessment.json"), "utf8")) as Assessment;
    expect(assessment.runs.map((r) => r.id)).toEqual(runs);
    const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).addSchema(schema("report.schema.json"), "report.schema.json").compile(schema("assessment.schema.json"));
    validate(assessment);
    expect(validate.errors ?? []).toEqual([]);
    expect(assessment.questions).toHaveLength(26);
    expect(assessment.summary.contradicted + assessment.summary.supported + assessment.summary["no-evidence"]).toBe(26);
    expect(assessment.summary.unanswered).toBe(0);
    // Site A's CA names one revocation source: "revocation is served from more than one source" fails for the organisation.
    const availability = assessment.questions.find((q) => q.id === "reliability.high-availability")!;
    expect(availability.verdict).toBe("contradicted");
    expect(availability.explanation).toMatch(/the scan found only \d+ of \d+ issuing CAs give their certificates two revocation sources/);
    expect(assessment.questions[0]!.comment).toBe(hostile.slice(1, -1));
    expect(assessment.maturity.categories.strategy.level).toBe(4);

    const html = await readFile(join(out, "assessment.html"), "utf8");
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("<svg");
    expect(html).toContain('<section id="pkic"><h2>PKI Consortium model (suggested ratings)</h2>');
    expect(assessment.pkic?.categories).toHaveLength(16);
    for (const q of assessment.questions) expect(html).toContain(`id="q-${q.id}"`);
    const md = await readFile(join(out, "assessment.md"), "utf8");
    expect(md).toContain("### reliability.high-availability: contradicted by the evidence");
    expect(md).not.toContain("<script>");
  });

  it("refuses a malformed answers file with one line naming the file and where", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "answers:\n  - id: governance.inventory\n    answer: definitely\n");
    const result = await runInProcess(["assess", "--answers", bad, "--db", db, "--run", "latest", "--out", join(dir, "never")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`answers ${bad}: at answers.0.answer: answer is one of yes, partly, no, unknown, or blank`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});
