// The PKI Consortium PKI Maturity Model beside the main one: the same metrics mapped to the PKIC
// model's requirements (rules/maturity/pkic-mapping.json). Each requirement is either marked for
// interview (what only people can tell) or has rules, each suggesting a level 1-5 when its
// conditions on metrics hold; the suggested level is the highest whose rule holds. A rule that
// reads a metric the run did not observe is not observed, never held or failed, so a requirement
// is rated only from what was seen, and one that nothing observed matches stays not assessed.
// Categories, modules and the whole are weighted averages as the PKIC model computes them:
// requirement weights within a category, category weights above it. The mapping embeds the
// model's ids, names and weights (tests check them against the model's YAML).
import { z } from "zod";
import type { EvidenceRef } from "../model/evidence.js";
import type {
  PkicAggregate, PkicAssessment, PkicCategoryRating, PkicConditionResult, PkicLevel, PkicModuleRating, PkicRange, PkicRequirementRating, PkicRuleResult, PkicRuleStatus,
} from "../model/pkic.js";
import { type DataFile, dataFileError, readDataFile, shippedRulesFile } from "./data-file.js";
import type { Metric } from "./metrics.js";
import { compare } from "./rubric.js";

const MAPPING = "PKIC mapping";
const level = z.number().int().min(1).max(5);
const weight = z.number().positive();

const condition = z.strictObject({
  metric: z.string().min(1),
  op: z.enum([">=", "<=", "=="]),
  threshold: z.number(),
});

const rule = z.strictObject({
  level,
  /** Every condition must hold. */
  when: z.array(condition).min(1),
  /** Why these values suggest this level, for reports. */
  basis: z.string().min(1),
});

const requirementId = z.string().regex(/^\d+\.\d+$/, "requirement ids are the PKIC model's category.requirement, like 5.2");
const requirement = z.discriminatedUnion("assessment", [
  z.strictObject({ id: requirementId, name: z.string().min(1), weight, assessment: z.literal("interview") }),
  z.strictObject({ id: requirementId, name: z.string().min(1), weight, assessment: z.literal("evidence"), rules: z.array(rule).min(1) }),
]);

const category = z.strictObject({
  id: z.string().regex(/^\d+$/, "category ids are the PKIC model's numbers, like 5"),
  module: z.string().min(1),
  name: z.string().min(1),
  weight,
  requirements: z.array(requirement).min(1),
});

const mappingSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  /** The PKIC model release this mapping follows. */
  model: z.strictObject({ name: z.string().min(1), version: z.string().min(1) }),
  modules: z.array(z.strictObject({ id: z.string().min(1), name: z.string().min(1) })).min(1),
  categories: z.array(category).min(1),
});

export type PkicMapping = z.infer<typeof mappingSchema>;
export type PkicMappingRequirement = z.infer<typeof requirement>;
export type LoadedPkicMapping = DataFile<PkicMapping>;

/** The shipped mapping, beside the shipped rubric. */
export function defaultPkicMappingPath(): string {
  return shippedRulesFile("maturity/pkic-mapping.json", MAPPING);
}

/** Reads and validates a mapping; any problem is one UsageError naming the file and the path in it. */
export function loadPkicMapping(path: string = defaultPkicMappingPath()): LoadedPkicMapping {
  const loaded = readDataFile(path, MAPPING, mappingSchema);
  const { modules, categories } = loaded.data;
  const fail = (at: PropertyKey[], problem: string) => dataFileError(MAPPING, path, at, problem);
  const moduleIds = modules.map((m) => m.id);
  const twiceModule = moduleIds.findIndex((id, i) => moduleIds.indexOf(id) !== i);
  if (twiceModule >= 0) throw fail(["modules", twiceModule, "id"], `module ${moduleIds[twiceModule]} is listed twice`);
  const seen = new Set<string>();
  for (const [c, cat] of categories.entries()) {
    if (!moduleIds.includes(cat.module)) throw fail(["categories", c, "module"], `no module ${cat.module} in modules`);
    if (seen.has(cat.id)) throw fail(["categories", c, "id"], `category ${cat.id} is listed twice`);
    seen.add(cat.id);
    for (const [r, req] of cat.requirements.entries()) {
      if (!req.id.startsWith(`${cat.id}.`)) throw fail(["categories", c, "requirements", r, "id"], `requirement ${req.id} is not in category ${cat.id}`);
      if (seen.has(req.id)) throw fail(["categories", c, "requirements", r, "id"], `requirement ${req.id} is listed twice`);
      seen.add(req.id);
    }
  }
  const empty = moduleIds.findIndex((id) => !categories.some((c) => c.module === id));
  if (empty >= 0) throw fail(["modules", empty], `module ${moduleIds[empty]} has no category`);
  return loaded;
}

function conditionResult(c: z.infer<typeof condition>, metrics: Readonly<Record<string, Metric>>): PkicConditionResult {
  return { ...c, value: metrics[c.metric]?.value ?? null };
}

function ruleStatus(conditions: readonly PkicConditionResult[]): PkicRuleStatus {
  if (conditions.some((c) => c.value !== null && !compare(c.value, c.op, c.threshold))) return "fails";
  return conditions.every((c) => c.value !== null) ? "holds" : "not-observed";
}

const shown = (v: number): string => String(Number(v.toFixed(3)));
const stated = (c: PkicConditionResult): string =>
  c.value === null ? `${c.metric} not observed` : `${c.metric} = ${shown(c.value)} (${c.op} ${shown(c.threshold)})`;

/** Why the level (or none), and why not higher: the deciding rule, then each higher one and what stopped it. */
function explain(rules: readonly PkicRuleResult[], suggested: PkicLevel | null): string {
  if (rules.every((r) => r.status === "not-observed")) return "not assessed: the run observed none of the metrics it reads";
  const deciding = rules.find((r) => r.status === "holds" && r.level === suggested);
  const higher = rules.filter((r) => r.level > (suggested ?? 0) && r.status !== "holds").sort((a, b) => a.level - b.level);
  const notHigher = higher.map((r) => r.status === "fails"
    ? `not level ${r.level}: ${r.conditions.filter((c) => c.value !== null && !compare(c.value, c.op, c.threshold)).map(stated).join(", ")}`
    : `level ${r.level} not assessed: ${r.conditions.filter((c) => c.value === null).map(stated).join(", ")}`);
  const head = deciding
    ? `level ${deciding.level}: ${deciding.basis} (${deciding.conditions.map(stated).join(", ")})`
    : "not assessed: what the run observed matches none of the levels the mapping suggests";
  return [head, ...notHigher].join("; ");
}

const dedupe = (refs: readonly EvidenceRef[]): EvidenceRef[] =>
  [...new Map(refs.map((e) => [`${e.kind}|${e.id}|${e.run ?? ""}`, e])).values()];

function rateRequirement(req: PkicMappingRequirement, metrics: Readonly<Record<string, Metric>>): PkicRequirementRating {
  const base = { id: req.id, name: req.name, weight: req.weight, assessment: req.assessment };
  const wholeScale: PkicRange = { min: 1, max: 5 };
  if (req.assessment === "interview") {
    return { ...base, status: "interview", suggestedLevel: null, bounds: wholeScale, metrics: {}, evidence: [], rules: [], toObserve: [],
      why: "only an interview can assess it: the PKIC model rates it from documents and what people say" };
  }
  const rules: PkicRuleResult[] = req.rules.map((r) => {
    const conditions = r.when.map((c) => conditionResult(c, metrics));
    return { level: r.level as PkicLevel, basis: r.basis, status: ruleStatus(conditions), conditions };
  });
  const read = [...new Set(req.rules.flatMap((r) => r.when.map((c) => c.metric)))];
  const held = rules.filter((r) => r.status === "holds").map((r) => r.level);
  const suggestedLevel = held.length > 0 ? (Math.max(...held) as PkicLevel) : null;
  const open = rules.filter((r) => r.status === "not-observed");
  // Only what could change the result is worth scanning for: the unobserved metrics of rules no observed value fails.
  const missing = [...new Set(open.flatMap((r) => r.conditions.filter((c) => c.value === null).map((c) => c.metric)))];
  return {
    ...base,
    status: suggestedLevel === null ? "not-assessed" : "rated",
    suggestedLevel,
    bounds: suggestedLevel === null ? wholeScale : { min: suggestedLevel, max: Math.max(suggestedLevel, ...open.map((r) => r.level)) },
    metrics: Object.fromEntries(read.map((id) => [id, metrics[id]?.value ?? null])),
    evidence: dedupe(read.flatMap((id) => metrics[id]?.evidence ?? [])),
    rules,
    why: explain(rules, suggestedLevel),
    toObserve: missing.map((id) => `${id}: ${metrics[id]?.notObserved ?? (metrics[id] ? "not observed" : "not measured in this assessment")}`),
  };
}

interface Part extends PkicAggregate {
  weight: number;
}

const weightedAverage = (pairs: readonly (readonly [number, number])[]): number => {
  const total = pairs.reduce((sum, [w]) => sum + w, 0);
  return pairs.reduce((sum, [w, v]) => sum + w * v, 0) / total;
};

/** The PKIC model's weighted average of parts; the rating over the rated parts only. */
function aggregate(parts: readonly Part[]): PkicAggregate {
  const rated = parts.filter((p) => p.rating !== null);
  return {
    rating: rated.length === 0 ? null : weightedAverage(rated.map((p) => [p.weight, p.rating!])),
    coverage: weightedAverage(parts.map((p) => [p.weight, p.coverage])),
    bounds: {
      min: weightedAverage(parts.map((p) => [p.weight, p.bounds.min])),
      max: weightedAverage(parts.map((p) => [p.weight, p.bounds.max])),
    },
  };
}

const requirementPart = (r: PkicRequirementRating): Part =>
  ({ weight: r.weight, rating: r.suggestedLevel, coverage: r.suggestedLevel === null ? 0 : 1, bounds: r.bounds });

/** Suggested PKIC ratings from the run's metrics; a metric id the run did not compute counts as not observed. */
export function scorePkic(metrics: Readonly<Record<string, Metric>>, loaded: LoadedPkicMapping): PkicAssessment {
  const { data: mapping } = loaded;
  const categories: PkicCategoryRating[] = mapping.categories.map((c) => {
    const requirements = c.requirements.map((r) => rateRequirement(r, metrics));
    return {
      id: c.id, module: c.module, name: c.name, weight: c.weight,
      ...aggregate(requirements.map(requirementPart)),
      requirements,
      interviewOnly: requirements.filter((r) => r.status === "interview").map((r) => r.id),
      notAssessed: requirements.filter((r) => r.status === "not-assessed").map((r) => r.id),
    };
  });
  const modules: PkicModuleRating[] = mapping.modules.map((m) => {
    const own = categories.filter((c) => c.module === m.id);
    return { id: m.id, name: m.name, ...aggregate(own), categories: own.map((c) => c.id) };
  });
  return {
    model: mapping.model,
    mapping: { name: mapping.name, version: mapping.version, sha256: loaded.sha256 },
    categories,
    modules,
    overall: aggregate(categories),
  };
}
