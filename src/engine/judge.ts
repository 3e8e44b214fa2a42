// Judging a run's observations at one validation time: the analysis (paths, CRLs, OCSP answers),
// the inventory view, the rules and the maturity score all read the same moment. A scan judges
// its own run as of now (or --at); `pkiscope report --at` judges a stored run again as of another
// moment from the observations it stored, and saves nothing.
import { RULES } from "../../rules/index.js";
import { type AnalysisProduct, analyseRun } from "../inventory/analyse.js";
import { type InventoryView, buildInventoryView } from "../inventory/inventory.js";
import type { TrustAnchorSet } from "../inventory/trust-anchors.js";
import { computeMetrics } from "../maturity/metrics.js";
import { type LoadedPkicMapping, loadPkicMapping, scorePkic } from "../maturity/pkic.js";
import { loadQuestionnaire, questionsSettling } from "../maturity/questionnaire.js";
import { type LoadedRubric, defaultRubricPath, loadRubric } from "../maturity/rubric.js";
import { scoreMaturity } from "../maturity/score.js";
import type { RunConclusions, RunObservations, Store } from "../store/store.js";
import { PKISCOPE_VERSION } from "../version.js";
import { runRules } from "./rule-runner.js";

export interface AnalysisInputs {
  trust: TrustAnchorSet;
  checkStaples: boolean;
  thresholds: Record<string, number>;
  /** The moment every time-dependent verdict is made at; default: the moment the analysis starts. */
  validationTime?: Date;
}

export interface ConclusionInputs {
  rubric: LoadedRubric;
  pkicMapping: LoadedPkicMapping;
  /** Which questionnaire questions settle each criterion, named where evidence could not. */
  settledBy: ReadonlyMap<string, string[]>;
  thresholds: Record<string, number>;
}

/** A run analysed: what rules and maturity read, without the observations it came from. */
export interface AnalysedRun {
  runId: string;
  analysis: AnalysisProduct;
  view: InventoryView;
  analysedAt: Date;
  validationTime: Date;
}

export interface Judgement {
  analysis: AnalysisProduct;
  view: InventoryView;
  conclusions: RunConclusions;
}

/**
 * The analysis and the inventory view of a run's observations. Nothing after it reads the
 * observations: the caller lets go of them before the rules run, so their DER, stored records
 * and sightings (about a kilobyte a certificate) are not held through rules, maturity and saving.
 */
export async function analyseObservations(observations: RunObservations, inputs: AnalysisInputs): Promise<AnalysedRun> {
  const analysedAt = new Date();
  const validationTime = inputs.validationTime ?? analysedAt;
  const analysis = await analyseRun(observations, inputs.trust, { checkStaples: inputs.checkStaples, now: validationTime });
  const view = buildInventoryView(
    {
      ...observations,
      certificates: [...observations.certificates, ...analysis.anchorCertificates],
      sightings: [...observations.sightings, ...analysis.anchorSightings],
      ...analysis,
    },
    inputs.thresholds,
    validationTime,
  );
  return { runId: observations.run.id, analysis, view, analysedAt, validationTime };
}

/** Runs the rules over an analysed run and scores it; `lap` is told as each stage ends. */
export async function concludeAnalysis(
  store: Store,
  { runId, analysis, view, analysedAt, validationTime }: AnalysedRun,
  inputs: ConclusionInputs,
  lap: (stage: "rules" | "maturity") => void = () => {},
): Promise<Judgement> {
  const { findings, failures, outcomes } = runRules(RULES, view);
  lap("rules");
  // Earlier runs of the same endpoints give renewal lead times, scan cadence and regressions.
  const history = await store.runHistory(runId);
  const metrics = computeMetrics(view, { findings }, history.earlier);
  const maturity = scoreMaturity(metrics, findings, inputs.rubric, { settledBy: inputs.settledBy });
  const pkic = scorePkic(metrics, inputs.pkicMapping);
  lap("maturity");
  const conclusions: RunConclusions = {
    findings, ruleFailures: failures, ruleOutcomes: outcomes, rules: RULES.map((r) => r.meta),
    thresholds: inputs.thresholds, pkiscopeVersion: PKISCOPE_VERSION,
    analysedAt: analysedAt.toISOString(), validationTime: validationTime.toISOString(), maturity, pkic,
  };
  return { analysis, view, conclusions };
}

export interface StoredRunJudgementOptions {
  /** The maturity rubric; default the shipped one. */
  rubric?: string;
  /** The PKI Consortium mapping; default the shipped one. */
  pkicMapping?: string;
}

/**
 * A stored run judged again as of `validationTime`, from its own observations, anchors and
 * thresholds: paths, CRL and OCSP judgements, rules and maturity are all redone at that moment.
 * Nothing is saved: the run keeps the conclusions of its scan.
 */
export async function judgeStoredRun(
  store: Store, runId: string, validationTime: Date, options: StoredRunJudgementOptions = {},
): Promise<Pick<Judgement, "view" | "conclusions">> {
  const rubric = loadRubric(options.rubric ?? defaultRubricPath());
  const pkicMapping = loadPkicMapping(options.pkicMapping);
  const { thresholds, ...analysed } = await analyseStoredObservations(store, runId, validationTime);
  const { view, conclusions } = await concludeAnalysis(store, analysed, {
    rubric, pkicMapping, settledBy: questionsSettling(loadQuestionnaire()), thresholds,
  });
  return { view, conclusions };
}

/**
 * The stored run's observations analysed again as of `validationTime`, under the run's own
 * anchors and thresholds (returned with it); of the stored run only those are kept.
 */
async function analyseStoredObservations(store: Store, runId: string, validationTime: Date): Promise<AnalysedRun & { thresholds: Record<string, number> }> {
  const { run, anchors, thresholds } = await store.loadRun(runId);
  const observations = await store.loadObservations(runId);
  const anchorIds = new Set(anchors);
  const trust: TrustAnchorSet = {
    source: typeof run.options.trustAnchors === "string" ? run.options.trustAnchors : "mozilla",
    // The run's anchors are all part of it already (its bundle whole, or the default-store roots
    // its paths ended at): they stay its anchors, whichever the paths reach at the new moment.
    explicit: true,
    anchors: observations.certificates.flatMap((c) =>
      anchorIds.has(c.sha256) && c.subjectNameHash ? [{ sha256: c.sha256, der: c.der, subjectNameHash: c.subjectNameHash }] : []),
  };
  const revocation = run.options.revocation as { enabled?: unknown } | undefined;
  const analysed = await analyseObservations(observations, {
    trust, checkStaples: revocation?.enabled !== false, thresholds, validationTime,
  });
  return { ...analysed, thresholds };
}
