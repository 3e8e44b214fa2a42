// Three organisations built from real scans of fixture networks on loopback (TLS hosts, CRLs over
// HTTP, openssl OCSP responders), without AD CS: each scores the levels, caps and not-assessed
// criteria the rubric implies, every level rests on evidence, no rule fires that the fixture does
// not call for, and the three rank as the maturity model orders them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORGANISATION_KINDS, type OrganisationKind } from "../../fixtures/organisations/index.js";
import {
  EXPECTED, type ScannedOrganisation, expectEvidenceBehindEveryLevel, expectLevelFourNotAssessed, expectRanked, expectedRulesByHost, observedScore,
  rulesByHost, scannedOrganisation,
} from "./organisation-scan.js";

const PREFIXES: Record<OrganisationKind, string> = { "ad-hoc": "127.91.0", foundational: "127.92.0", transformative: "127.93.0" };
const PORT = 9461;

const scanned = {} as Record<OrganisationKind, ScannedOrganisation>;

beforeAll(async () => {
  for (const kind of ORGANISATION_KINDS) scanned[kind] = await scannedOrganisation(kind, { prefix: PREFIXES[kind], port: PORT });
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(scanned).map((s) => s.stop()));
});

describe.each(ORGANISATION_KINDS)("the %s organisation, scanned", (kind) => {
  it("answers on every host and raises there exactly the rules its fixture calls for, and nothing else", () => {
    const s = scanned[kind];
    for (const h of s.org.hosts) expect(s.outcome.view.endpoints.find((e) => e.id === h.endpoint)?.status, h.endpoint).toBe("tls");
    expect(rulesByHost(s)).toEqual(expectedRulesByHost(s.org));
    const leaves = new Set(s.outcome.view.endpoints.flatMap((e) => e.chain.slice(0, 1)));
    const unattributed = s.outcome.conclusions.findings.filter((f) =>
      !f.endpoints.some((e) => s.org.hosts.some((h) => h.endpoint === e)) && !(f.certificate && leaves.has(f.certificate)));
    expect(unattributed.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
    expect(s.outcome.conclusions.ruleFailures).toEqual([]);
  });

  it("scores the levels, caps and not-assessed criteria the rubric implies", () => {
    const s = scanned[kind];
    expect(observedScore(s)).toEqual(EXPECTED[kind]);
    expectLevelFourNotAssessed(s.score);
    for (const [id, c] of Object.entries(s.score.categories)) {
      if (c.level === null) expect(c.bounds, id).toEqual({ min: 0, max: 4 });
      else expect(c.bounds.min <= c.level && c.level <= c.bounds.max, `${id}: ${c.level} within ${JSON.stringify(c.bounds)}`).toBe(true);
    }
  });

  it("rests every level on evidence of the run or on a criterion it could not assess", () => {
    expectEvidenceBehindEveryLevel(scanned[kind]);
  });
});

describe("what each organisation's services gave the scan", () => {
  it("the transformative one: both OCSP responders answered, and CRLs were read from both distribution points", () => {
    const { org, outcome } = scanned.transformative;
    const answered = new Set(outcome.view.ocsp.filter((o) => o.source === "responder" && o.error === null).map((o) => o.url));
    expect([...answered].sort()).toEqual([...org.ocspUrls].sort());
    const read = outcome.view.crls.filter((c) => c.crl !== null).map((c) => c.url);
    expect(org.crlUrls).toEqual(expect.arrayContaining(read));
    expect(read.filter((u) => u.endsWith("/root.crl"))).toHaveLength(2);
    expect(outcome.conclusions.findings.map((f) => f.ruleId)).not.toContain("ocsp-bad-response");
  });

  it("the foundational one: CRLs only, so OCSP availability is not observed and says why", () => {
    const { org, outcome, score } = scanned.foundational;
    expect(outcome.view.ocsp.filter((o) => o.source === "responder")).toEqual([]);
    const ocsp = score.categories.reliability.criteria.find((c) => c.id === "reliability.ocsp-answers")!;
    expect(ocsp).toMatchObject({ status: "not-assessed", metrics: { "ocsp.available-share": null } });
    expect(ocsp.notAssessed).toMatch(/OCSP/);
    expect(outcome.view.crls.filter((c) => c.crl !== null).map((c) => c.url).sort()).toEqual([...org.crlUrls].sort());
  });

  it("the ad hoc one: without AD CS, online roots are not assessed and say to scan with --ldap", () => {
    const criterion = scanned["ad-hoc"].score.categories.security.criteria.find((c) => c.id === "security.no-online-root")!;
    expect(criterion).toMatchObject({ status: "not-assessed", metrics: { "adcs.online-roots": null } });
    expect(criterion.notAssessed).toContain("--ldap");
  });
});

it("ranks ad hoc below foundational below transformative in security, reliability and governance, and foundational below transformative in efficiency", () => {
  expectRanked({ "ad-hoc": scanned["ad-hoc"].score, foundational: scanned.foundational.score, transformative: scanned.transformative.score });
});
