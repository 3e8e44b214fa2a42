// `pkiscope demo`: a sample PKI with deliberate defects, served on loopback, scanned like any
// network, reported like any scan. Nothing leaves 127.0.0.0/8.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../engine/scan.js";
import { endpointId } from "../model/types.js";
import { UsageError } from "../errors.js";
import { assessmentOf, scoreRuns } from "../engine/assess.js";
import { loadPkicMapping } from "../maturity/pkic.js";
import { type GivenAnswer, answersTemplate, loadAnswers, loadQuestionnaire } from "../maturity/questionnaire.js";
import { defaultRubricPath, loadRubric } from "../maturity/rubric.js";
import { writeAssessment } from "../reports/assessment.js";
import { readReportHistory } from "../engine/trends.js";
import { buildReport } from "../reports/report-model.js";
import { REPORT_FORMATS, writeReports } from "../reports/write.js";
import { displayStoreSpec, openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { parsePort } from "../targets/targets.js";
import { DEFAULTS, type CliIo, type GlobalOptions } from "./index.js";
import { maturitySummary } from "./maturity-command.js";
import { loggerFor, progressFor, withInterrupt } from "./support.js";

export interface DemoCommandOptions extends GlobalOptions {
  out: string;
  prefix: string;
  port: string;
  progress: boolean;
}

export async function demoCommand(options: DemoCommandOptions, io: CliIo): Promise<number> {
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(options.prefix)) throw new UsageError(`--prefix must be a loopback /24 such as 127.77.0, not "${options.prefix}"`);
  const log = loggerFor(options, io);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  log.info("generating the sample PKI and starting its services on loopback...");
  const network = await startSampleNetwork({ prefix: options.prefix, port: parsePort(options.port, "--port"), workDir: join(out, "sample") });
  const dbPath = options.db === DEFAULTS.db ? join(out, "pkiscope.db") : options.db;
  const store = await openStore(dbPath);
  try {
    const progress = progressFor(options, io);
    const outcome = await withInterrupt(io, log, (signal) =>
      runScan(
        store,
        sampleScanPlan(network),
        { log, signal, onStart: progress.start, onProgress: progress.tick, onCollected: progress.stop },
      ),
    );
    const report = buildReport(outcome.view, outcome.conclusions, await readReportHistory(store, outcome.view, outcome.conclusions));
    // Every format, the CBOM too: the demo shows all a scan can write.
    const written = await writeReports(report, out, REPORT_FORMATS);
    io.stdout.write(`\nSample network ${network.cidr} port ${network.port}:\n`);
    for (const e of network.endpoints) {
      const id = endpointId({ address: e.address, port: e.port, sni: null });
      const found = report.findings.filter((f) => f.endpoints.includes(id)).map((f) => f.ruleId);
      const status = report.inventory.endpoints.find((x) => x.id === id)?.status ?? "closed";
      io.stdout.write(`  ${id.padEnd(20)} ${status.padEnd(8)} ${e.description.padEnd(68)} ${[...new Set(found)].join(", ")}\n`);
    }
    io.stdout.write(`\n${report.findings.length} findings. Reports:\n${written.map((p) => `  ${p}`).join("\n")}\nStore: ${displayStoreSpec(dbPath)}\n`);
    if (report.maturity) io.stdout.write(`\nMaturity (the chart leads report.html):\n${maturitySummary(report.maturity)}`);
    await demoAssessment(store, outcome.run.id, out, dbPath, io);
    return 0;
  } finally {
    await store.close();
    await network.close();
  }
}

/**
 * The sample organisation's PKI team, filling in the questionnaire with confidence: some answers
 * the scan contradicts (the inventory, key protection, outages), some only people can give.
 */
const DEMO_ANSWERS: ReadonlyMap<string, GivenAnswer> = new Map([
  ["governance.inventory", { answer: "yes", comment: "Our spreadsheet tracks every certificate." }],
  ["governance.cp-cps", { answer: "yes", comment: "CP/CPS v2 approved last year." }],
  ["security.hardening", { answer: "yes", comment: "The root is offline; keys are in an HSM." }],
  ["reliability.outages", { answer: "yes", comment: "No outage this year." }],
  ["reliability.dr-testing", { answer: "yes", comment: "DR exercise every spring." }],
  ["efficiency.automation", { answer: "partly", comment: "Web servers renew automatically; the rest by hand." }],
  ["strategy.ownership", { answer: "yes", comment: "The PKI team owns the CAs; application teams own their certificates." }],
  ["strategy.funding", { answer: "partly", comment: "" }],
]);

/** The questionnaire example: the demo team's answers held against the scan's evidence. */
async function demoAssessment(store: Store, runId: string, out: string, dbPath: string, io: CliIo): Promise<void> {
  const questionnaire = loadQuestionnaire();
  const answersPath = join(out, "demo-answers.yaml");
  await writeFile(answersPath, answersTemplate(questionnaire, DEMO_ANSWERS));
  const answers = loadAnswers(answersPath, questionnaire);
  const scored = await scoreRuns(store, [runId], { rubric: loadRubric(defaultRubricPath()), pkic: loadPkicMapping(), questionnaire, answers });
  const assessment = assessmentOf(scored, questionnaire, answers, new Date());
  const written = await writeAssessment(assessment, join(out, "assessment"));
  const contradicted = assessment.questions.filter((q) => q.verdict === "contradicted");
  io.stdout.write(`\nSelf-assessment example (${answersPath}): ${contradicted.length} answer(s) contradicted by the scan, ${assessment.summary.supported} supported, ${assessment.summary["no-evidence"]} without evidence.\n`);
  for (const q of contradicted) io.stdout.write(`  ${q.id}: ${q.explanation}\n`);
  io.stdout.write(`${written.map((p) => `  ${p}`).join("\n")}\nFill in your own: pkiscope questionnaire init --out answers.yaml; then pkiscope assess --answers answers.yaml --db ${displayStoreSpec(dbPath)} --run latest\n`);
}
