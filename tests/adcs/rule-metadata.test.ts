// The AD CS rules as a set: the contract ids from the issue, complete metadata, and the checks
// an LDAP scan cannot make listed for the report.
import { describe, expect, it } from "vitest";
import { ADCS_RULES } from "../../rules/adcs-rules.js";
import { ADCS_NOT_ASSESSED } from "../../src/inventory/adcs/not-assessed.js";

const CONTRACT_IDS = [
  "adcs-esc1", "adcs-esc2", "adcs-esc3", "adcs-esc4", "adcs-esc5", "adcs-esc9", "adcs-esc13", "adcs-esc15",
  "adcs-ntauth-unsanctioned", "adcs-weak-template-key",
];

describe("AD CS rule set", () => {
  it("holds exactly the contract ids", () => {
    expect(ADCS_RULES.map((r) => r.meta.id).sort()).toEqual([...CONTRACT_IDS].sort());
  });

  it.each(ADCS_RULES.map((r) => [r.meta.id, r] as const))("%s has complete metadata", (_id, { meta, scope }) => {
    expect(scope).toBe("inventory");
    expect(meta.category).toBe("security");
    expect(meta.title.length).toBeGreaterThan(10);
    expect(meta.rationale.length).toBeGreaterThan(100);
    expect(meta.remediation.length).toBeGreaterThan(40);
    expect(meta.references.length).toBeGreaterThan(0);
  });

  it("lists what LDAP cannot assess, ESC6, ESC7, ESC8, ESC11 and ESC16 among them", () => {
    expect(ADCS_NOT_ASSESSED.map((c) => c.id)).toEqual(expect.arrayContaining(["ESC6", "ESC7", "ESC8", "ESC11", "ESC16"]));
    for (const check of ADCS_NOT_ASSESSED) expect(check.needs.length).toBeGreaterThan(10);
  });
});
