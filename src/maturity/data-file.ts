// The data files the maturity stage ships and organisations copy and tune (the rubric, the PKI
// Consortium mapping): found in the installation's rules/ folder, read as JSON and validated with
// zod, every problem one UsageError naming the file, the path inside it and the problem, never a
// stack trace.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { UsageError } from "../errors.js";

const require = createRequire(import.meta.url);

/**
 * The yaml library, loaded on first use: only answers files are YAML, and every scan reads the
 * JSON rubric through here. Synchronous (require, the package's CommonJS build) because the
 * readers are.
 */
export function yamlLibrary(): typeof import("yaml") {
  return require("yaml") as typeof import("yaml");
}

export interface DataFile<T> {
  data: T;
  path: string;
  /** Of the file's bytes, so a report names exactly what it was scored with. */
  sha256: string;
}

/**
 * A file shipped under rules/ (e.g. "maturity/pkic-mapping.json"), found upwards from this file:
 * src/maturity/ when run from source, dist/src/maturity/ when built.
 */
export function shippedRulesFile(relativePath: string, what: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, "rules", relativePath);
    if (existsSync(candidate)) return candidate;
  }
  throw new UsageError(`the default ${what} rules/${relativePath} is missing from this installation`);
}

/** One error for a problem at a path inside a data file; `at` is the path ([] for the top level). */
export function dataFileError(what: string, path: string, at: readonly PropertyKey[], problem: string): UsageError {
  const where = at.length > 0 ? at.map(String).join(".") : "(top level)";
  return new UsageError(`${what} ${path}: at ${where}: ${problem}`);
}

/** How a data file is written: JSON for the shipped rules files, YAML for what people fill in (answers). */
export type DataFormat = "JSON" | "YAML";

const PARSERS: Readonly<Record<DataFormat, (text: string) => unknown>> = {
  JSON: (text) => JSON.parse(text),
  // Aliases bounded: a hostile file cannot expand into a billion laughs.
  YAML: (text) => yamlLibrary().parse(text, { maxAliasCount: 100 }),
};

/** Reads a data file and validates it against the schema; `what` names it in errors ("rubric"). */
export function readDataFile<S extends z.ZodType>(path: string, what: string, schema: S, format: DataFormat = "JSON"): DataFile<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`${what} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = PARSERS[format](text);
  } catch (err) {
    throw new UsageError(`${what} ${path}: not ${format} (${(err as Error).message.split("\n")[0]})`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw dataFileError(what, path, issue.path, issue.message);
  }
  return { data: parsed.data, path, sha256: createHash("sha256").update(text).digest("hex") };
}
