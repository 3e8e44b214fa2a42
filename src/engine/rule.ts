// The rule contract. A rule is a small pure function over inventory facts with its metadata
// beside it. Rule ids are a public contract (findings, suppressions and maturity evidence cite
// them): never rename one.
import type { CertificateFacts, InventoryView } from "../inventory/inventory.js";
import type { RuleMeta } from "../model/rules.js";
import type { FindingDraft, Severity } from "../model/types.js";

export type { RuleMeta, ThresholdSpec } from "../model/rules.js";

/** What a certificate check reports; the runner fills in certificate id and endpoints. */
export interface CertificateIssue {
  message: string;
  evidence: Record<string, unknown>;
  severity?: Severity;
}

export interface CertificateRule {
  meta: RuleMeta;
  scope: "certificate";
  /** Whether the rule looks at this certificate: the ones it applies to are its examined objects. */
  appliesTo(c: CertificateFacts, inventory: InventoryView): boolean;
  check(c: CertificateFacts, inventory: InventoryView): CertificateIssue | null;
}

export interface InventoryRule {
  meta: RuleMeta;
  scope: "inventory";
  /** How many objects (CRLs, responders, templates, keys...) the rule looks at; 0 = not applicable. */
  examines(inventory: InventoryView): number;
  evaluate(inventory: InventoryView): (FindingDraft & { severity?: Severity })[];
}

export type Rule = CertificateRule | InventoryRule;

/** A threshold's value in this run (the rule declares it, so it is always there). */
export function threshold(inventory: InventoryView, key: string): number {
  const value = inventory.thresholds[key];
  if (value === undefined) throw new Error(`threshold ${key} is not set for this run`);
  return value;
}
