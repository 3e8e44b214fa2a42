// The shape of a rule's behaviour table and the one way every case is checked: build the view,
// run the rule alone through the runner, then compare what got findings (with severity) and the
// rule's outcome (status, objects examined). Tables live in *-cases.ts modules, so the coverage
// test can read all of them without running another file's tests.
import { beforeAll, describe, expect, it } from "vitest";
import type { Rule } from "../../src/engine/rule.js";
import { runRules } from "../../src/engine/rule-runner.js";
import type { InventoryView } from "../../src/inventory/inventory.js";
import type { RuleOutcome } from "../../src/model/rules.js";
import type { Finding, Severity } from "../../src/model/types.js";
import { type Keys, type ViewSpec, nameOf, testKeys, viewOf } from "./inventory.js";

export interface RuleCase {
  rule: Rule;
  name: string;
  view(keys: Keys): ViewSpec;
  /** What gets a finding, by target (see targetOf), with its severity; {} when the rule must stay silent. */
  fires: Record<string, Severity>;
  /** The rule's outcome: status and number of objects examined. */
  outcome: [RuleOutcome["status"], number];
}

/**
 * What a finding is about, as the tables name it: the certificate's CN, else the URL, else the
 * AD CS template or object DN, else the CNs of the certificates in its evidence (key-reuse).
 */
export function targetOf(finding: Finding, view: InventoryView): string {
  if (finding.certificate) return nameOf(view, finding.certificate);
  if (finding.url) return finding.url;
  const { template, dn, file, certificates } = finding.evidence;
  if (typeof template === "string") return template;
  if (typeof dn === "string") return dn;
  if (typeof file === "string") return file;
  if (Array.isArray(certificates)) {
    return certificates.map((c: string | { sha256: string }) => nameOf(view, typeof c === "string" ? c : c.sha256)).sort().join(" + ");
  }
  return finding.endpoints.join(", ");
}

export async function checkCase(c: RuleCase, keys: Keys): Promise<void> {
  const view = await viewOf(c.view(keys));
  const { findings, failures, outcomes } = runRules([c.rule], view);
  expect(failures).toEqual([]);
  const targets = findings.map((f) => targetOf(f, view));
  expect(targets, "one finding per target").toHaveLength(new Set(targets).size);
  expect(Object.fromEntries(findings.map((f, i) => [targets[i], f.severity]))).toEqual(c.fires);
  const [status, examined] = c.outcome;
  expect(outcomes).toEqual([{ ruleId: c.rule.meta.id, status, examined, findings: findings.length, failures: 0 }]);
}

const titled = (cases: readonly RuleCase[]) => cases.map((c) => [c.rule.meta.id, c.name, c] as const);

/** The tests of one table: every case in order. */
export function ruleTable(title: string, cases: readonly RuleCase[]): void {
  let keys: Keys;
  beforeAll(() => {
    keys = testKeys();
  });
  describe(title, () => {
    it.each(titled(cases))("%s: %s", async (_id, _name, c) => checkCase(c, keys));
  });
}

/** A table row: case name, the inventory, what fires (target → severity), the outcome. */
export type CaseRow = readonly [name: string, view: (keys: Keys) => ViewSpec, fires: Record<string, Severity>, outcome: RuleCase["outcome"]];

export function casesOf(rule: Rule, rows: readonly CaseRow[]): RuleCase[] {
  return rows.map(([name, view, fires, outcome]) => ({ rule, name, view, fires, outcome }));
}

/** The outcome of a rule that found nothing to look at. */
export const NOT_APPLICABLE: RuleCase["outcome"] = ["not-applicable", 0];
/** The outcome of a rule that looked at `count` objects. */
export const examined = (count: number): RuleCase["outcome"] => ["evaluated", count];
/** No finding. */
export const SILENT: Record<string, Severity> = {};
