// The maturity rubric as data: for each category of the model, criteria per level (each quoting
// the model's sentence it implements, naming the metric it reads and its threshold) and caps
// (findings or metric values that hold a category down, with the reason). The default is
// rules/maturity/keyfactor-rubric.json; organisations copy and tune it (--rubric FILE). A bad
// rubric is one error naming the file, the path inside it and the problem. Validated with zod,
// whose issue paths give exactly that.
import { z } from "zod";
import { UsageError } from "../errors.js";
import { readDataFile, shippedRulesFile } from "./data-file.js";

import { MATURITY_CATEGORIES, type MaturityCategory } from "../model/maturity.js";

const level = z.number().int().min(0).max(4);
const comparison = z.enum([">=", "<=", "=="]);

const criterion = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/, "ids look like reliability.crls-fresh"),
  level: level.min(1),
  /** The model's sentence this criterion implements, verbatim. */
  text: z.string().min(1),
  /** The metric it reads; null for what only people know (the questionnaire settles it). */
  metric: z.string().min(1).nullable(),
  op: comparison.optional(),
  threshold: z.number().optional(),
  /** What to do when it fails, or what to scan or answer when it cannot be assessed. */
  nextStep: z.string().min(1),
}).refine((c) => c.metric === null || (c.op !== undefined && c.threshold !== undefined), {
  message: "a criterion that reads a metric needs op and threshold",
});

const cap = z.strictObject({
  level,
  reason: z.string().min(1),
  /** Any finding of these rules applies the cap... */
  rules: z.array(z.string().min(1)).optional(),
  /** ...or this metric meeting this condition. */
  metric: z.string().min(1).optional(),
  op: comparison.optional(),
  threshold: z.number().optional(),
}).refine((c) => (c.rules?.length ?? 0) > 0 || (c.metric !== undefined && c.op !== undefined && c.threshold !== undefined), {
  message: "a cap names rules, or a metric with op and threshold",
});

const category = z.strictObject({ label: z.string().min(1), criteria: z.array(criterion), caps: z.array(cap) });

/** The model's "moving past level N" guidance, quoted: what an organisation at `from` does next. */
const guidance = z.strictObject({ from: level.max(3), heading: z.string().min(1), steps: z.array(z.string().min(1)).min(1) });

const rubricSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  model: z.string().min(1),
  movingPast: z.array(guidance).refine((g) => new Set(g.map((x) => x.from)).size === g.length, { message: "one guidance per level" }),
  categories: z.strictObject(Object.fromEntries(MATURITY_CATEGORIES.map((c) => [c, category])) as Record<MaturityCategory, typeof category>),
});

export type Rubric = z.infer<typeof rubricSchema>;
export type Criterion = z.infer<typeof criterion>;
export type Cap = z.infer<typeof cap>;
export type Comparison = z.infer<typeof comparison>;

export interface LoadedRubric {
  rubric: Rubric;
  path: string;
  sha256: string;
}

/** The shipped rubric, found in the installation's rules/ folder. */
export function defaultRubricPath(): string {
  return shippedRulesFile("maturity/keyfactor-rubric.json", "rubric");
}

/** Reads and validates a rubric file; any problem is one UsageError naming the file and the path in it. */
export function loadRubric(path: string): LoadedRubric {
  const file = readDataFile(path, "rubric", rubricSchema);
  const ids = Object.values(file.data.categories).flatMap((c) => c.criteria.map((k) => k.id));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new UsageError(`rubric ${path}: criterion id ${duplicate} is used twice`);
  return { rubric: file.data, path, sha256: file.sha256 };
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  return op === ">=" ? value >= threshold : op === "<=" ? value <= threshold : value === threshold;
}
