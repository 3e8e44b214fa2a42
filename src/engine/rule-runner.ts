// Runs every rule over the inventory. The runner owns control flow: it asks each certificate
// rule whether it applies, turns a throwing rule into a recorded failure (that rule's findings
// for that object are lost, nothing else), gives each finding a stable id, and records each
// rule's outcome: how many objects it examined, how many findings it raised, or that it did not
// apply or failed. "No CRL was checked" and "every CRL is healthy" are different outcomes.
import { createHash } from "node:crypto";
import type { InventoryView } from "../inventory/inventory.js";
import type { RuleOutcome } from "../model/rules.js";
import type { Finding, FindingDraft, Severity } from "../model/types.js";
import type { RuleFailure } from "../store/store.js";
import type { Rule } from "./rule.js";

export interface RuleRunResult {
  findings: Finding[];
  failures: RuleFailure[];
  outcomes: RuleOutcome[];
}

export function runRules(rules: readonly Rule[], inventory: InventoryView): RuleRunResult {
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    const before = { findings: findings.length, failures: failures.length };
    const emit = (draft: FindingDraft & { severity?: Severity }): void => {
      findings.push(toFinding(rule, draft));
    };
    const fail = (err: unknown, on?: string): void => {
      failures.push({ ruleId: rule.meta.id, error: on ? `${on}: ${describe(err)}` : describe(err) });
    };
    let examined = 0;
    if (rule.scope === "inventory") {
      try {
        examined = rule.examines(inventory);
        if (examined > 0) rule.evaluate(inventory).forEach(emit);
      } catch (err) {
        fail(err);
      }
    } else {
      for (const c of inventory.certificates) {
        try {
          if (!rule.appliesTo(c, inventory)) continue;
          examined++;
          const issue = rule.check(c, inventory);
          if (issue) emit({ ...issue, certificate: c.sha256, endpoints: c.endpoints, url: null });
        } catch (err) {
          fail(err, `certificate ${c.sha256}`);
        }
      }
    }
    const failed = failures.length - before.failures;
    outcomes.push({
      ruleId: rule.meta.id,
      status: failed > 0 ? "failed" : examined === 0 ? "not-applicable" : "evaluated",
      examined,
      findings: findings.length - before.findings,
      failures: failed,
    });
  }
  return { findings, failures, outcomes };
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
