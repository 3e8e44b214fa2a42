// Runs every rule over the inventory. The runner owns control flow: it asks each certificate
// rule whether it applies, turns a throwing rule into a recorded failure (that rule's findings
// for that object are lost, nothing else), and gives each finding a stable id.
import { createHash } from "node:crypto";
import type { InventoryView } from "../inventory/inventory.js";
import type { Finding, FindingDraft, Severity } from "../model/types.js";
import type { RuleFailure } from "../store/store.js";
import type { Rule } from "./rule.js";

export interface RuleRunResult {
  findings: Finding[];
  failures: RuleFailure[];
}

export function runRules(rules: readonly Rule[], inventory: InventoryView): RuleRunResult {
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    const emit = (draft: FindingDraft & { severity?: Severity }): void => {
      findings.push(toFinding(rule, draft));
    };
    if (rule.scope === "inventory") {
      try {
        rule.evaluate(inventory).forEach(emit);
      } catch (err) {
        failures.push({ ruleId: rule.meta.id, error: describe(err) });
      }
      continue;
    }
    for (const c of inventory.certificates) {
      try {
        if (!rule.appliesTo(c, inventory)) continue;
        const issue = rule.check(c, inventory);
        if (issue) emit({ ...issue, certificate: c.sha256, endpoints: c.endpoints, url: null });
      } catch (err) {
        failures.push({ ruleId: rule.meta.id, error: `certificate ${c.sha256}: ${describe(err)}` });
      }
    }
  }
  return { findings, failures };
}

/** Same rule on the same object gives the same id in every run, so runs can be diffed. */
export function findingId(ruleId: string, draft: FindingDraft): string {
  const subject = [ruleId, draft.certificate ?? "", draft.url ?? "", draft.subjectKey ?? ""].join("|");
  return createHash("sha256").update(subject).digest("hex").slice(0, 24);
}

function toFinding(rule: Rule, draft: FindingDraft & { severity?: Severity }): Finding {
  const { subjectKey: _subjectKey, severity, ...rest } = draft;
  return {
    id: findingId(rule.meta.id, draft),
    ruleId: rule.meta.id,
    category: rule.meta.category,
    severity: severity ?? rule.meta.severity,
    ...rest,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
