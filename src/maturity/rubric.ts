// The maturity rubric as data: for each category of the model, criteria per level (each quoting
// the model's sentence it implements, naming the metric it reads and its threshold) and caps
// (findings or metric values that hold a category down, with the reason). The default is
// rules/maturity/keyfactor-rubric.json; organisations copy and tune it (--rubric FILE). A bad
// rubric is one error naming the file, the path inside it and the problem. Validated with zod,
// whose issue paths give exactly that.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UsageError } from "../errors.js";

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

const rubricSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  model: z.string().min(1),
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

/** The shipped rubric, found upwards from this file (src/maturity/ from source, dist/src/maturity/ built). */
export function defaultRubricPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, "rules", "maturity", "keyfactor-rubric.json");
    if (existsSync(candidate)) return candidate;
  }
  throw new UsageError("the default rubric rules/maturity/keyfactor-rubric.json is missing from this installation");
}

/** Reads and validates a rubric file; any problem is one UsageError naming the file and the path in it. */
export function loadRubric(path: string): LoadedRubric {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`rubric ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`rubric ${path}: not JSON (${(err as Error).message})`);
  }
  const parsed = rubricSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
    throw new UsageError(`rubric ${path}: at ${where}: ${issue.message}`);
  }
  const ids = Object.values(parsed.data.categories).flatMap((c) => c.criteria.map((k) => k.id));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new UsageError(`rubric ${path}: criterion id ${duplicate} is used twice`);
  return { rubric: parsed.data, path, sha256: createHash("sha256").update(text).digest("hex") };
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  return op === ">=" ? value >= threshold : op === "<=" ? value <= threshold : value === threshold;
}
