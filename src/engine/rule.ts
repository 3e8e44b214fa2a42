// The rule contract. A rule is a small pure function over inventory facts with its metadata
// beside it. Rule ids are a public contract (findings, suppressions and maturity evidence cite
// them): never rename one.
import type { CertificateFacts, InventoryView } from "../inventory/inventory.js";
import type { Category, FindingDraft, Severity } from "../model/types.js";

export interface RuleMeta {
  id: string;
  title: string;
  category: Category;
  /** Default severity; a finding may raise or lower it with a reason in its evidence. */
  severity: Severity;
  rationale: string;
  remediation: string;
  references: string[];
}

/** What a certificate check reports; the runner fills in certificate id and endpoints. */
export interface CertificateIssue {
  message: string;
  evidence: Record<string, unknown>;
  severity?: Severity;
}

export interface CertificateRule {
  meta: RuleMeta;
  scope: "certificate";
  appliesTo(c: CertificateFacts, inventory: InventoryView): boolean;
  check(c: CertificateFacts, inventory: InventoryView): CertificateIssue | null;
}

export interface InventoryRule {
  meta: RuleMeta;
  scope: "inventory";
  evaluate(inventory: InventoryView): (FindingDraft & { severity?: Severity })[];
}

export type Rule = CertificateRule | InventoryRule;
