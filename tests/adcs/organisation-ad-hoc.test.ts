// The ad hoc organisation with its Active Directory: its loopback network scanned together with
// the Samba lab's AD CS (--ldap), the lab's roots sanctioned beside IT's. The published ESC1
// template caps Security at 0, and so does the root installed as an enterprise CA (online).
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

/**
 * Reading AD CS settles the online-root criterion (failed) and adds two caps at 0: the ESC1
 * finding, and the online root (a metric cap, so no finding); nothing else changes level.
 */
const AD_HOC_WITH_ADCS: ExpectedScore = {
  ...EXPECTED["ad-hoc"],
  security: { level: 0, caps: [{ level: 0, rules: ["adcs-esc1"] }, { level: 0, rules: [] }, { level: 1, rules: ["weak-key"] }], notAssessed: [] },
};

const lab = adcsLab();
const scanned = {} as Record<OrganisationKind, ScannedOrganisation>;

beforeAll(async () => {
  for (const kind of ORGANISATION_KINDS) {
    scanned[kind] = await scannedOrganisation(kind, {
      prefix: PREFIXES[kind], port: PORT,
      ...(kind === "ad-hoc" ? { sanctionedRootsPem: [lab.manifest.sanctionedRootsPem], ldap: [labOptions(lab)] } : {}),
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

  it("finds the online root: the one enterprise CA whose certificate is self-signed fails the criterion, cited, and caps Security at 0", () => {
    const { score, outcome } = scanned["ad-hoc"];
    const selfSigned = outcome.view.adcs[0]!.enterpriseCas
      .filter((ca) => ca.certificates.some((ref) => outcome.view.bySha.get(ref.sha256)?.path?.selfSigned))
      .map((ca) => ca.dn);
    expect(selfSigned).toEqual([lab.manifest.onlineRootCaDn]);
    const criterion = score.categories.security.criteria.find((c) => c.id === "security.no-online-root")!;
    expect(criterion).toMatchObject({ status: "failed", metrics: { "adcs.online-roots": 1 } });
    expect(criterion.evidence).toEqual([{ kind: "enterprise-ca", id: lab.manifest.onlineRootCaDn }]);
    const onlineCaps = score.categories.security.caps.filter((c) => c.reason.includes("online"));
    expect(onlineCaps).toEqual([{
      level: 0, reason: expect.stringContaining("offline, air-gapped root"), findings: [],
      evidence: [{ kind: "enterprise-ca", id: lab.manifest.onlineRootCaDn }],
    }]);
  });

  it("raises no rule on the online root: it is sanctioned, so NTAuth may trust it, and its certificate is sound", () => {
    const { outcome } = scanned["ad-hoc"];
    const onlineRoot = lab.manifest.cas.onlineRoot.sha256;
    expect(outcome.view.bySha.get(onlineRoot)?.sources.has("ldap")).toBe(true);
    expect(outcome.conclusions.findings.filter((f) => f.certificate === onlineRoot || f.evidence.dn === lab.manifest.onlineRootCaDn)).toEqual([]);
    expect(outcome.conclusions.findings.filter((f) => f.ruleId === "adcs-ntauth-unsanctioned").map((f) => f.certificate)).toEqual([lab.manifest.cas.rogue.sha256]);
  });

  it("rests every level on evidence of the run (templates and enterprise CAs included) or on a criterion it could not assess", () => {
    expectEvidenceBehindEveryLevel(scanned["ad-hoc"]);
  });
});

it("ranks the ad hoc organisation with its AD CS below foundational below transformative in security, reliability and governance", () => {
  for (const kind of ["foundational", "transformative"] as const) expect(observedScore(scanned[kind])).toEqual(EXPECTED[kind]);
  expectRanked({ "ad-hoc": scanned["ad-hoc"].score, foundational: scanned.foundational.score, transformative: scanned.transformative.score });
});
