// Scoring stored runs together: `pkiscope maturity` and `pkiscope assess`. The union of the runs'
// inventories and findings is scored as one organisation, with the history of the newest run's
// endpoints, and every piece of evidence names the run its object was seen in. With answers, the
// questionnaire's verdicts come from the same evidence, and the answers evidence does not
// contradict settle what it could not assess.
import { UsageError } from "../errors.js";
import { citeRuns, unionOfRuns } from "../inventory/union.js";
import { type Metric, computeMetrics } from "../maturity/metrics.js";
import { type LoadedPkicMapping, scorePkic } from "../maturity/pkic.js";
import { type LoadedAnswers, type LoadedQuestionnaire, declarationsFrom, judgeAnswers, questionsSettling } from "../maturity/questionnaire.js";
import type { LoadedRubric } from "../maturity/rubric.js";
import { scoreMaturity } from "../maturity/score.js";
import type { Assessment, QuestionVerdict } from "../model/assessment.js";
import type { MaturityScore } from "../model/maturity.js";
import type { PkicAssessment } from "../model/pkic.js";
import type { EvidenceRef } from "../model/evidence.js";
import type { Finding, RunInfo } from "../model/types.js";
import type { InventoryView } from "../inventory/inventory.js";
import type { RunContents, Store } from "../store/store.js";

export interface ScoredRuns {
  runs: RunInfo[];
  view: InventoryView;
  findings: Finding[];
  metrics: Record<string, Metric>;
  maturity: MaturityScore;
  pkic: PkicAssessment | null;
  questions: QuestionVerdict[] | null;
}

export interface ScoringInputs {
  rubric: LoadedRubric;
  pkic?: LoadedPkicMapping;
  questionnaire?: LoadedQuestionnaire;
  answers?: LoadedAnswers | null;
}

/** Resolves run references ("latest", ids, unique prefixes) to stored runs, each once. */
export async function loadRuns(store: Store, refs: readonly string[]): Promise<RunContents[]> {
  if (refs.length === 0) throw new UsageError("name at least one run with --run (an id, a unique prefix, or latest)");
  const ids: string[] = [];
  for (const ref of refs) {
    const run = await store.findRun(ref);
    if (!run) throw new UsageError(`no run "${ref}" in the store`);
    if (!run.finishedAt) throw new UsageError(`run ${run.id} has not finished: it has no analysis to score`);
    if (!ids.includes(run.id)) ids.push(run.id);
  }
  return Promise.all(ids.map((id) => store.loadRun(id)));
}

export async function scoreRuns(store: Store, refs: readonly string[], inputs: ScoringInputs): Promise<ScoredRuns> {
  const union = unionOfRuns(await loadRuns(store, refs));
  const newest = union.runs.at(-1)!;
  const history = await store.runHistory(newest.id);
  const computed = computeMetrics(union.view, { findings: union.findings }, history.earlier);
  const metrics = Object.fromEntries(Object.entries(computed).map(([id, m]) => [id, { ...m, evidence: citeRuns(m.evidence, union.runOf) }]));
  const questions = inputs.questionnaire
    ? judgeAnswers(inputs.questionnaire, inputs.answers ?? null, { metrics, findings: union.findings, ruleOutcomes: union.ruleOutcomes })
    : null;
  const maturity = scoreMaturity(metrics, union.findings, inputs.rubric, {
    ...(inputs.questionnaire ? { settledBy: questionsSettling(inputs.questionnaire) } : {}),
    ...(questions ? { declarations: declarationsFrom(questions) } : {}),
  });
  return { runs: union.runs, view: union.view, findings: union.findings, metrics, maturity, pkic: inputs.pkic ? scorePkic(metrics, inputs.pkic) : null, questions };
}

/** The assessment document: every question's answer, evidence and verdict, and the levels they settle. */
export function assessmentOf(scored: ScoredRuns, questionnaire: LoadedQuestionnaire, answers: LoadedAnswers | null, now: Date): Assessment {
  const questions = scored.questions ?? [];
  const summary: Assessment["summary"] = { supported: 0, contradicted: 0, "no-evidence": 0, unanswered: 0 };
  for (const q of questions) {
    summary[q.verdict]++;
    if (q.answer === null) summary.unanswered++;
  }
  return {
    schemaVersion: 1,
    generatedAt: now.toISOString(),
    questionnaire: { name: questionnaire.data.name, version: questionnaire.data.version, sha256: questionnaire.sha256 },
    answers: answers ? { path: answers.path, sha256: answers.sha256 } : null,
    runs: scored.runs.map((r) => ({ id: r.id, startedAt: r.startedAt, targets: r.targets })),
    summary,
    questions,
    maturity: scored.maturity,
    pkic: scored.pkic,
    labels: labelsOf(scored, [
      ...questions.flatMap((q) => q.checks.flatMap((c) => c.evidence)),
      ...Object.values(scored.maturity.categories).flatMap((c) => [
        ...c.criteria.flatMap((k) => k.evidence), ...c.caps.flatMap((cap) => cap.findings.map((id): EvidenceRef => ({ kind: "finding", id }))),
      ]),
    ]),
  };
}

/** What to call each cited object (a subject, an endpoint, a URL, a rule and its message), so the document names them without the inventory. */
function labelsOf({ view, findings }: ScoredRuns, refs: readonly EvidenceRef[]): Record<string, string> {
  const findingById = new Map(findings.map((f) => [f.id, f]));
  const templates = new Map(view.adcs.flatMap((a) => a.templates.map((t) => [t.template.dn, t.template.name] as const)));
  const cas = new Map(view.adcs.flatMap((a) => a.enterpriseCas.map((ca) => [ca.dn, ca.name] as const)));
  const labels: Record<string, string> = {};
  for (const ref of refs) {
    const key = `${ref.kind} ${ref.id}`;
    if (key in labels) continue;
    const finding = ref.kind === "finding" ? findingById.get(ref.id) : undefined;
    labels[key] = ref.kind === "certificate" ? view.bySha.get(ref.id)?.record.subject ?? ref.id
      : finding ? `${finding.ruleId}: ${finding.message}`
      : ref.kind === "template" ? templates.get(ref.id) ?? ref.id
      : ref.kind === "enterprise-ca" ? cas.get(ref.id) ?? ref.id
      : ref.id;
  }
  return labels;
}
