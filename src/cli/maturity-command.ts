// `pkiscope maturity`, `pkiscope questionnaire init` and `pkiscope assess`: score stored runs
// together, write the answers file to fill in, and hold the answers against the evidence. They
// read the store only; nothing is scanned.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { assessmentOf, scoreRuns } from "../engine/assess.js";
import { UsageError } from "../errors.js";
import { loadPkicMapping } from "../maturity/pkic.js";
import { answersTemplate, loadAnswers, loadQuestionnaire } from "../maturity/questionnaire.js";
import { defaultRubricPath, loadRubric } from "../maturity/rubric.js";
import { MATURITY_CATEGORIES, type MaturityScore } from "../model/maturity.js";
import { printable, printableJson } from "../printable.js";
import { writeAssessment } from "../reports/assessment.js";
import { CATEGORY_NAMES } from "../reports/maturity-html.js";
import { openStore } from "../store/open.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { loggerFor } from "./support.js";

interface ScoringOptions extends GlobalOptions {
  run: string[];
  rubric?: string;
  pkicMapping?: string;
}

export interface MaturityCommandOptions extends ScoringOptions {
  format: string;
  out?: string;
}

export interface AssessCommandOptions extends ScoringOptions {
  answers: string;
  questionnaire?: string;
  out: string;
}

export interface QuestionnaireInitOptions {
  out?: string;
  questionnaire?: string;
  force?: boolean;
}

/** One line per category: what a terminal user reads first. */
export function maturitySummary(score: MaturityScore): string {
  const lines = MATURITY_CATEGORIES.map((id) => {
    const c = score.categories[id];
    const level = c.level === null ? "not assessed" : `${c.level} ${c.label}`;
    const capped = c.caps.length > 0 ? `; capped: ${c.caps.map((cap) => cap.reason).join("; ")}` : "";
    return `${CATEGORY_NAMES[id].padEnd(20)} ${level.padEnd(18)} range ${c.bounds.min}-${c.bounds.max}  confidence ${Math.round(c.confidence * 100)}%${printable(capped)}`;
  });
  const overall = score.overall.level === null ? "not assessed" : `${score.overall.level} ${score.overall.label}`;
  return `${lines.join("\n")}\n${"Overall".padEnd(20)} ${overall} (${score.overall.basis})\n`;
}

function inputs(options: ScoringOptions) {
  // Data files first: a bad one is a usage error before the store is opened.
  return { rubric: loadRubric(options.rubric ?? defaultRubricPath()), pkic: loadPkicMapping(options.pkicMapping) };
}

export async function maturityCommand(options: MaturityCommandOptions, io: CliIo): Promise<number> {
  if (options.format !== "text" && options.format !== "json") throw new UsageError(`--format takes text or json, not "${options.format}"`);
  const scoring = inputs(options);
  const store = await openStore(options.db);
  try {
    const scored = await scoreRuns(store, options.run, scoring);
    const json = `${JSON.stringify({ runs: scored.runs.map((r) => r.id), maturity: scored.maturity, pkic: scored.pkic, metrics: scored.metrics }, null, 2)}\n`;
    if (options.out) {
      await mkdir(options.out, { recursive: true });
      const path = join(options.out, "maturity.json");
      await writeFile(path, json);
      loggerFor(options, io).info(`maturity of ${scored.runs.length} run(s): ${path}`);
    }
    io.stdout.write(options.format === "json" ? printableJson(json) : maturitySummary(scored.maturity));
    return 0;
  } finally {
    await store.close();
  }
}

export async function questionnaireInitCommand(options: QuestionnaireInitOptions, io: CliIo): Promise<number> {
  const text = answersTemplate(loadQuestionnaire(options.questionnaire));
  if (!options.out) {
    io.stdout.write(text);
    return 0;
  }
  if (existsSync(options.out) && !options.force) throw new UsageError(`${options.out} exists: answers are not overwritten (use --force)`);
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, text);
  io.stderr.write(`answers file written: ${options.out}\n`);
  return 0;
}

export async function assessCommand(options: AssessCommandOptions, io: CliIo): Promise<number> {
  const scoring = inputs(options);
  const questionnaire = loadQuestionnaire(options.questionnaire);
  const answers = loadAnswers(options.answers, questionnaire);
  const store = await openStore(options.db);
  try {
    const scored = await scoreRuns(store, options.run, { ...scoring, questionnaire, answers });
    const assessment = assessmentOf(scored, questionnaire, answers, new Date());
    const written = await writeAssessment(assessment, options.out);
    const { summary } = assessment;
    loggerFor(options, io).info(`assessment: ${summary.contradicted} contradicted, ${summary.supported} supported, ${summary["no-evidence"]} without evidence; ${written.join(", ")}`);
    io.stdout.write(maturitySummary(assessment.maturity));
    return 0;
  } finally {
    await store.close();
  }
}
