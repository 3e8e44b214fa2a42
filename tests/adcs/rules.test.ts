// Every AD CS rule over the inventory built from the lab as collected: each fires on its
// vulnerable template or object and on nothing else (the safe look-alikes differ in exactly the
// property that makes them safe), and its evidence names the template, the trigger, the
// principals and their rights.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADCS_RULES } from "../../rules/adcs-rules.js";
import { runRules } from "../../src/engine/rule-runner.js";
import { type AdcsInventory, type AdcsView, buildAdcsInventory } from "../../src/inventory/adcs/facts.js";
import { adcsReportSection } from "../../src/inventory/adcs/report-section.js";
import type { InventoryView } from "../../src/inventory/inventory.js";
import type { Finding } from "../../src/model/types.js";
import { type Collected, collect, labOptions } from "./collect.js";
import { adcsLab } from "./lab.js";

const lab = adcsLab();
const { manifest } = lab;

/** The AD CS rules read `adcs` only; the rest of the view does not matter to them. */
function viewOf(adcs: AdcsInventory): InventoryView & AdcsView {
  return { adcs: [adcs] } as unknown as InventoryView & AdcsView;
}

describe("AD CS rules on the lab", () => {
  let run: Collected;
  let findings: Finding[];
  beforeAll(async () => {
    run = await collect(labOptions(lab));
    const result = runRules(ADCS_RULES, viewOf(buildAdcsInventory(run.snapshot, new Set(manifest.sanctioned))));
    expect(result.failures).toEqual([]);
    findings = result.findings;
  });
  afterAll(async () => {
    await run.store.close();
  });
  const about = (f: Finding) => (f.certificate ?? String(f.evidence.dn)).toLowerCase();
  const findingFor = (ruleId: string, subject: string): Finding => {
    const found = findings.find((f) => f.ruleId === ruleId && about(f) === subject.toLowerCase());
    if (!found) throw new Error(`${ruleId} did not fire on ${subject}`);
    return found;
  };

  it("produces exactly the lab's expected findings: each rule on its target, nothing on the safe look-alikes", () => {
    const actual = findings.map((f) => `${f.ruleId} ${about(f)}`).sort();
    const expected = manifest.expectedFindings.map((e) => `${e.ruleId} ${e.subject.toLowerCase()}`).sort();
    expect(actual).toEqual(expected);
    expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set(ADCS_RULES.map((r) => r.meta.id)));
  });

  it.each(manifest.templates.filter((t) => t.name.startsWith("PkiLab-Safe-")).map((t) => [t.name, t.dn] as const))(
    "%s triggers nothing",
    (_name, dn) => {
      expect(findings.filter((f) => about(f) === dn.toLowerCase())).toEqual([]);
    },
  );

  it("ESC1 evidence names the template, the flag and EKU that trigger it, and who can enroll where", () => {
    const f = findingFor("adcs-esc1", manifest.templates.find((t) => t.name === "PkiLab-ESC1")!.dn);
    expect(f.severity).toBe("critical");
    expect(f.certificate).toBeNull();
    expect(f.endpoints).toEqual([]);
    expect(f.message).toContain("PkiLab-ESC1");
    expect(f.message).toContain("Domain Users (Enroll)");
    expect(f.evidence).toMatchObject({
      template: "PkiLab-ESC1",
      publishedBy: ["PkiLab-CA1"],
      trigger: ["CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT", "EKU clientAuthentication"],
      certificateNameFlag: ["CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT"],
      lowPrivilegedEnrollers: [{ sid: expect.stringMatching(/-513$/), name: "Domain Users", rights: ["Enroll"] }],
    });
  });

  it("ESC2, ESC3 and ESC9 name the EKU or flag and the low-privileged group", () => {
    const dn = (name: string) => manifest.templates.find((t) => t.name === name)!.dn;
    expect(findingFor("adcs-esc2", dn("PkiLab-ESC2")).evidence).toMatchObject({ trigger: ["EKU anyPurpose"], lowPrivilegedEnrollers: [{ name: "Authenticated Users" }] });
    expect(findingFor("adcs-esc2", dn("PkiLab-ESC2-NoEku")).evidence).toMatchObject({ trigger: ["no EKU"], publishedBy: ["PkiLab-CA2"] });
    expect(findingFor("adcs-esc3", dn("PkiLab-ESC3")).evidence).toMatchObject({ trigger: ["EKU certificateRequestAgent"], lowPrivilegedEnrollers: [{ name: "Domain Computers" }] });
    expect(findingFor("adcs-esc9", dn("PkiLab-ESC9")).evidence).toMatchObject({ trigger: ["CT_FLAG_NO_SECURITY_EXTENSION", "EKU clientAuthentication"] });
  });

  it("ESC4 names the writers and their rights, with no enrollment needed", () => {
    const f = findingFor("adcs-esc4", manifest.templates.find((t) => t.name === "PkiLab-ESC4")!.dn);
    expect(f.severity).toBe("critical");
    expect(f.evidence).toMatchObject({ trigger: ["WriteProperty"], lowPrivilegedWriters: [{ name: "Domain Users", rights: ["WriteProperty"] }], lowPrivilegedEnrollers: [] });
  });

  it("ESC5 names the CA object and the WriteDacl Domain Users hold on it", () => {
    const f = findingFor("adcs-esc5", `CN=PkiLab-CA2,CN=Enrollment Services,${manifest.publicKeyServicesDn}`);
    expect(f.severity).toBe("critical");
    expect(f.evidence).toMatchObject({ kind: "enrollment-service", objectClass: "pKIEnrollmentService", lowPrivilegedWriters: [{ name: "Domain Users", rights: ["WriteDacl"] }] });
  });

  it("ESC13 names the issuance policy and the group it links", () => {
    const f = findingFor("adcs-esc13", manifest.templates.find((t) => t.name === "PkiLab-ESC13")!.dn);
    expect(f.evidence.issuancePolicyGroupLinks).toEqual([{ policyOid: expect.stringMatching(/\.1001$/), policyName: "PkiLab Privileged Access", group: manifest.privilegedGroupDn }]);
  });

  it("ESC15 and the weak template key name schema version and key size", () => {
    const dn = (name: string) => manifest.templates.find((t) => t.name === name)!.dn;
    expect(findingFor("adcs-esc15", dn("PkiLab-ESC15")).evidence).toMatchObject({ schemaVersion: 1, trigger: ["msPKI-Template-Schema-Version 1", "CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT"] });
    expect(findingFor("adcs-weak-template-key", dn("PkiLab-WeakKey")).evidence).toMatchObject({ minimalKeySize: 1024, keyAlgorithm: "RSA" });
  });

  it("flags the one NTAuth CA that is not sanctioned, by its certificate", () => {
    const f = findingFor("adcs-ntauth-unsanctioned", manifest.cas.rogue.sha256);
    expect(f.certificate).toBe(manifest.cas.rogue.sha256);
    expect(f.message).toContain("PkiLab Rogue CA");
    expect(f.evidence).toMatchObject({ dn: expect.stringMatching(/^CN=NTAuthCertificates,/i) });
  });

  it("finds the same with an ordinary domain user's bind (the SD flags control makes the DACL readable)", async () => {
    const reader = await collect(labOptions(lab, { bindDn: manifest.readerDn }));
    await reader.store.close();
    expect(reader.snapshot.errors).toEqual([]);
    expect(reader.snapshot.templates.every((t) => t.security?.dacl)).toBe(true);
    const seen = runRules(ADCS_RULES, viewOf(buildAdcsInventory(reader.snapshot, new Set(manifest.sanctioned)))).findings;
    expect(seen.map((f) => f.id).sort()).toEqual(findings.map((f) => f.id).sort());
  });

  it("summarises the forest for the report: CAs, templates with their facts, NTAuth, what was not assessed", () => {
    const section = adcsReportSection([buildAdcsInventory(run.snapshot, new Set(manifest.sanctioned))]);
    const [forest] = section.forests;
    expect(forest?.enterpriseCas.map((ca) => ca.name).sort()).toEqual(["PkiLab-CA1", "PkiLab-CA2", "PkiLab-OnlineRoot"]);
    expect(forest?.templates.find((t) => t.name === "PkiLab-ESC1")).toMatchObject({
      enrolleeSuppliesSubject: true, ekus: ["clientAuthentication"], validityDays: 365, renewalDays: 42, publishedBy: ["PkiLab-CA1"],
    });
    expect(forest?.ntAuth.filter((c) => !c.sanctioned).map((c) => c.sha256)).toEqual([manifest.cas.rogue.sha256]);
    expect(section.notAssessed.map((c) => c.id)).toContain("ESC6");
    expect(JSON.parse(JSON.stringify(section))).toEqual(section);
  });

  it("gives each finding a stable id: a second collection yields the same ids", async () => {
    const again = await collect(labOptions(lab));
    await again.store.close();
    const second = runRules(ADCS_RULES, viewOf(buildAdcsInventory(again.snapshot, new Set(manifest.sanctioned)))).findings;
    expect(second.map((f) => f.id).sort()).toEqual(findings.map((f) => f.id).sort());
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  });
});
