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

export interface JudgementInputs {
  trust: TrustAnchorSet;
  checkStaples: boolean;
  thresholds: Record<string, number>;
  /** The moment every time-dependent verdict is made at; default: the moment the analysis starts. */
  validationTime?: Date;
  rubric: LoadedRubric;
  pkicMapping: LoadedPkicMapping;
  /** Which questionnaire questions settle each criterion, named where evidence could not. */
  settledBy: ReadonlyMap<string, string[]>;
}

export interface Judgement {
  analysis: AnalysisProduct;
  view: InventoryView;
  conclusions: RunConclusions;
}

/** Analyses, runs the rules and scores a run's observations; `lap` is told as each stage ends. */
export async function judgeObservations(
  store: Store,
  observations: RunObservations,
  inputs: JudgementInputs,
  lap: (stage: "analysis" | "rules" | "maturity") => void = () => {},
): Promise<Judgement> {
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
  lap("analysis");
  const { findings, failures, outcomes } = runRules(RULES, view);
  lap("rules");
  // Earlier runs of the same endpoints give renewal lead times, scan cadence and regressions.
  const history = await store.runHistory(observations.run.id);
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
  const stored = await store.loadRun(runId);
  const observations = await store.loadObservations(runId);
  const anchorIds = new Set(stored.anchors);
  const trust: TrustAnchorSet = {
    source: typeof stored.run.options.trustAnchors === "string" ? stored.run.options.trustAnchors : "mozilla",
    // The run's anchors are all part of it already (its bundle whole, or the default-store roots
    // its paths ended at): they stay its anchors, whichever the paths reach at the new moment.
    explicit: true,
    anchors: observations.certificates.flatMap((c) =>
      anchorIds.has(c.sha256) && c.subjectNameHash ? [{ sha256: c.sha256, der: c.der, subjectNameHash: c.subjectNameHash }] : []),
  };
  const revocation = stored.run.options.revocation as { enabled?: unknown } | undefined;
  const { view, conclusions } = await judgeObservations(store, observations, {
    trust,
    checkStaples: revocation?.enabled !== false,
    thresholds: stored.thresholds,
    validationTime,
    rubric,
    pkicMapping,
    settledBy: questionsSettling(loadQuestionnaire()),
  });
  return { view, conclusions };
}
