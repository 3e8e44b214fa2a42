// The ad hoc organisation with its Active Directory: its loopback network scanned together with
// the Samba lab's AD CS (--ldap), the lab's root sanctioned beside IT's. The published ESC1
// template caps Security at 0; the lab's enterprise CAs are subordinate, so no root is online.
// Ranked against the foundational and transformative organisations scanned in the same run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORGANISATION_KINDS, type OrganisationKind } from "../../fixtures/organisations/index.js";
import {
  EXPECTED, type ExpectedScore, type ScannedOrganisation, expectEvidenceBehindEveryLevel, expectLevelFourNotAssessed, expectRanked,
  expectedRulesByHost, observedScore, rulesByHost, scannedOrganisation,
} from "../maturity/organisation-scan.js";
import { labOptions } from "./collect.js";
import { adcsLab } from "./lab.js";

const PREFIXES: Record<OrganisationKind, string> = { "ad-hoc": "127.94.0", foundational: "127.95.0", transformative: "127.96.0" };
const PORT = 9462;

/** Reading AD CS settles the online-root criterion and adds the ESC1 cap; nothing else changes level. */
const AD_HOC_WITH_ADCS: ExpectedScore = {
  ...EXPECTED["ad-hoc"],
  security: { level: 0, caps: [{ level: 0, rules: ["adcs-esc1"] }, { level: 1, rules: ["weak-key"] }], notAssessed: [] },
};

const lab = adcsLab();
const scanned = {} as Record<OrganisationKind, ScannedOrganisation>;

beforeAll(async () => {
  for (const kind of ORGANISATION_KINDS) {
    scanned[kind] = await scannedOrganisation(kind, {
      prefix: PREFIXES[kind], port: PORT,
      ...(kind === "ad-hoc" ? { sanctionedRootsPem: [lab.manifest.cas.root.pem], ldap: [labOptions(lab)] } : {}),
    });
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(scanned).map((s) => s.stop()));
});

describe("the ad hoc organisation with its AD CS", () => {
  it("read the lab's directory, and raises on each TLS host exactly the rules its fixture calls for", () => {
    const adHoc = scanned["ad-hoc"];
    expect(adHoc.outcome.view.adcs).toHaveLength(1);
    expect(adHoc.outcome.view.adcs[0]!.errors).toEqual([]);
    expect(rulesByHost(adHoc)).toEqual(expectedRulesByHost(adHoc.org));
  });

  it("scores the levels, caps and not-assessed criteria the rubric implies", () => {
    expect(observedScore(scanned["ad-hoc"])).toEqual(AD_HOC_WITH_ADCS);
    expectLevelFourNotAssessed(scanned["ad-hoc"].score);
  });

  it("caps Security at 0 for the published ESC1 template, citing its finding", () => {
    const { score, outcome } = scanned["ad-hoc"];
    const esc1 = lab.manifest.templates.find((t) => t.name === "PkiLab-ESC1")!;
    const finding = outcome.conclusions.findings.find((f) => f.ruleId === "adcs-esc1" && f.message.includes(`template ${esc1.name}:`))!;
    expect(finding).toBeDefined();
    const cap = score.categories.security.caps.find((c) => c.level === 0)!;
    expect(cap.reason).toContain("ESC1");
    expect(cap.findings).toContain(finding.id);
  });

  it("finds no online root: the lab's enterprise CAs are issued by its root, so the criterion passes and no cap applies", () => {
    const { score, outcome } = scanned["ad-hoc"];
    const enterpriseCas = outcome.view.adcs[0]!.enterpriseCas;
    expect(enterpriseCas.length).toBeGreaterThan(0);
    for (const ca of enterpriseCas) {
      for (const ref of ca.certificates) expect(outcome.view.bySha.get(ref.sha256)?.path?.selfSigned, ca.dn).toBe(false);
    }
    const criterion = score.categories.security.criteria.find((c) => c.id === "security.no-online-root")!;
    expect(criterion).toMatchObject({ status: "passed", metrics: { "adcs.online-roots": 0 } });
    expect(score.categories.security.caps.map((c) => c.reason)).not.toContainEqual(expect.stringContaining("online"));
  });

  it("rests every level on evidence of the run (templates and enterprise CAs included) or on a criterion it could not assess", () => {
    expectEvidenceBehindEveryLevel(scanned["ad-hoc"]);
  });
});

it("ranks the ad hoc organisation with its AD CS below foundational below transformative in security, reliability and governance", () => {
  for (const kind of ["foundational", "transformative"] as const) expect(observedScore(scanned[kind])).toEqual(EXPECTED[kind]);
  expectRanked({ "ad-hoc": scanned["ad-hoc"].score, foundational: scanned.foundational.score, transformative: scanned.transformative.score });
});
