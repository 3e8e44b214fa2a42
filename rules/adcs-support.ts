// What the AD CS rules share: the rule shape over `inventory.adcs`, one factory for template
// rules (which applies the common enrollment gate unless a rule opts out), the evidence every
// template finding carries, and the references the rules cite.
import type { InventoryRule, RuleMeta } from "../src/engine/rule.js";
import {
  type AdcsView,
  type PrincipalGrant,
  type TemplateFacts,
  ekuName,
  enrollableByLowPrivileged,
} from "../src/inventory/adcs/facts.js";
import type { InventoryView } from "../src/inventory/inventory.js";
import type { FindingDraft, Severity } from "../src/model/types.js";

export type AdcsFinding = FindingDraft & { severity?: Severity };

/** An inventory rule that reads the AD CS inventories of the run. */
export interface AdcsRule extends InventoryRule {
  evaluate(inventory: InventoryView & AdcsView): AdcsFinding[];
}

export const REFERENCES = {
  certifiedPreOwned: "Schroeder and Christensen, Certified Pre-Owned: Abusing Active Directory Certificate Services, SpecterOps, 2021",
  crtd: "[MS-CRTD] Certificate Templates Structure",
  esc9: "Lyak, Certipy 4.0: ESC9 & ESC10, 2022; Microsoft KB5014754 (certificate-based authentication changes)",
  esc13: "Bülow Knudsen, ADCS ESC13 Abuse Technique, SpecterOps, 2024",
  esc15: "Bollinger, EKUwu: Not just another AD CS ESC, TrustedSec, 2024 (CVE-2024-49019)",
  locksmith: "Locksmith and Locksmith2 (TrimarcJake): AD CS misconfiguration checks",
} as const;

/** What a template rule reports when it fires: its trigger and anything it adds to the common evidence. */
export interface TemplateHit {
  message: string;
  /** The flags, EKUs or settings that make the rule fire. */
  trigger: string[];
  evidence?: Record<string, unknown>;
  severity?: Severity;
}

/**
 * A rule over certificate templates. By default a template is considered only when the shared
 * gate holds: some CA publishes it, no manager approval, no authorised signature, and a
 * low-privileged principal can enroll. `gated: false` is for rules that say otherwise (ESC4).
 */
export function templateRule(meta: RuleMeta, check: (t: TemplateFacts) => TemplateHit | null, { gated = true } = {}): AdcsRule {
  return {
    meta,
    scope: "inventory",
    examines: (inventory) => inventory.adcs.reduce((n, adcs) => n + adcs.templates.length, 0),
    evaluate: (inventory) =>
      inventory.adcs.flatMap((adcs) =>
        adcs.templates.flatMap((t) => {
          if (gated && !enrollableByLowPrivileged(t)) return [];
          const hit = check(t);
          if (!hit) return [];
          // Gated findings all name who can enroll and where, so the rules need not.
          const who = gated ? `; ${principalList(t.lowPrivilegedEnrollers)} can enroll via ${t.publishedBy.join(", ")}` : "";
          return [{
            message: `template ${t.template.name}: ${hit.message}${who}`,
            certificate: null,
            endpoints: [],
            url: null,
            subjectKey: t.template.dn,
            evidence: { ...templateEvidence(t, adcs.source), trigger: hit.trigger, ...hit.evidence },
            ...(hit.severity ? { severity: hit.severity } : {}),
          }];
        }),
      ),
  };
}

function templateEvidence(t: TemplateFacts, source: string): Record<string, unknown> {
  return {
    source,
    template: t.template.name,
    dn: t.template.dn,
    displayName: t.template.displayName,
    schemaVersion: t.template.schemaVersion,
    publishedBy: t.publishedBy,
    certificateNameFlag: t.template.nameFlags,
    enrollmentFlag: t.template.enrollmentFlags,
    ekus: t.ekus.map(ekuName),
    managerApproval: t.managerApproval,
    authorizedSignatures: t.authorizedSignatures,
    lowPrivilegedEnrollers: t.lowPrivilegedEnrollers,
  };
}

/** "Domain Users (Enroll), Authenticated Users (GenericAll)", for messages. */
export function principalList(grants: readonly PrincipalGrant[]): string {
  return grants.map((g) => `${g.name} (${g.rights.join(", ")})`).join(", ");
}

/** The EKUs that let the template's certificates authenticate, as trigger entries. */
export function authenticationTrigger(t: TemplateFacts): string[] {
  return t.noEku ? ["no EKU (any purpose)"] : t.authenticationEkus.map((oid) => `EKU ${ekuName(oid)}`);
}
