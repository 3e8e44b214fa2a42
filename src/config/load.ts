// Reads the config file: YAML (the `yaml` package keeps every node's range, so a problem is
// reported at its line), refuses inline secrets, validates with the schema. Every problem is one
// UsageError (exit code 2) of one line: `FILE:LINE: at profiles.web.networks.0.ports: problem`.
import { readFile } from "node:fs/promises";
import { LineCounter, isMap, isNode, isSeq, parseDocument, type Document } from "yaml";
import type { ThresholdSpec } from "../model/rules.js";
import { UsageError } from "../errors.js";
import { type PkiscopeConfig, type Profile, configSchema } from "./schema.js";

type Path = readonly PropertyKey[];

/** Keys that would hold a secret itself; the config names an environment variable instead (…Env). */
const SECRET_KEY = /(password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|credentials?)$/i;
/** A URL carrying a password in its userinfo (scheme://user:password@host). */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

export async function loadConfig(path: string, thresholds: readonly ThresholdSpec[]): Promise<PkiscopeConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --config ${path}: ${(err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw new UsageError(`${path}:${line}: ${syntax.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS();
  const at = (where: Path, problem: string): UsageError =>
    new UsageError(`${path}:${lineOf(doc, lineCounter, where)}: at ${where.length > 0 ? where.map(String).join(".") : "(top level)"}: ${problem}`);

  const secret = inlineSecret(value, []);
  if (secret) throw at(secret.path, secret.problem);
  const parsed = configSchema(thresholds.map((t) => t.option.replace(/^--/, ""))).safeParse(value ?? {}, { reportInput: true });
  if (!parsed.success) {
    // One error, the first in the file; an unknown key is reported at the key itself.
    const issues = parsed.error.issues.map((i) => ({
      path: i.code === "unrecognized_keys" ? [...i.path, i.keys[0]!] : i.path,
      message: i.code === "unrecognized_keys" ? `unknown field "${i.keys[0]}"`
        : i.code === "invalid_type" && i.input === undefined ? `required (${i.expected})` : i.message,
    }));
    issues.sort((a, b) => lineOf(doc, lineCounter, a.path) - lineOf(doc, lineCounter, b.path));
    throw at(issues[0]!.path, issues[0]!.message);
  }
  return parsed.data;
}

/** A profile of the config file by name; the error lists the profiles there are. */
export async function loadProfile(path: string, name: string | undefined, thresholds: readonly ThresholdSpec[]): Promise<Profile> {
  const config = await loadConfig(path, thresholds);
  const names = Object.keys(config.profiles);
  if (!name) throw new UsageError(`--config needs --profile NAME (${path} has: ${names.join(", ")})`);
  const profile = config.profiles[name];
  if (!profile) throw new UsageError(`${path} has no profile "${name}" (it has: ${names.join(", ")})`);
  return profile;
}

function inlineSecret(value: unknown, path: PropertyKey[]): { path: PropertyKey[]; problem: string } | null {
  if (typeof value === "string") {
    return URL_WITH_PASSWORD.test(value) ? { path, problem: "a URL with a password in it: give the password by environment variable" } : null;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = inlineSecret(item, [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) {
        return { path: [...path, key], problem: `looks like an inline secret: secrets are named by environment variable (${key}Env: VARIABLE), never written in the file` };
      }
      const found = inlineSecret(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The line of the node at `where`, or of its nearest ancestor that exists (a missing field is
 * reported where its object is). A map entry's line is its key's, a list item's its own.
 */
function lineOf(doc: Document, lines: LineCounter, where: Path): number {
  for (let depth = where.length; depth > 0; depth--) {
    const parent = doc.getIn(where.slice(0, depth - 1), true);
    const last = where[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === String(last));
      if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
    } else if (isSeq(parent)) {
      const item = parent.items[Number(last)];
      if (isNode(item) && item.range) return lines.linePos(item.range[0]).line;
    }
  }
  return doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : 1;
}
