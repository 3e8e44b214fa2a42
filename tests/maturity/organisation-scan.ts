// The three fixture organisations, scanned for real, and what their scores must show: the levels,
// caps and not-assessed criteria the shipped rubric implies for each (worked out from the rubric
// and the fixtures, criterion by criterion, in the comments of EXPECTED), the ranking the maturity
// model implies, and evidence behind every level. Shared by the unit test (no AD CS) and the AD
// CS test (the ad hoc organisation with the lab's directory).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import {
  type Organisation, type OrganisationKind, type OrganisationOptions, type OrganisationScanOptions, scanOrganisation, startOrganisation,
} from "../../fixtures/organisations/index.js";
import type { ScanOutcome } from "../../src/engine/scan.js";
import type { EvidenceRef } from "../../src/model/evidence.js";
import { MATURITY_CATEGORIES, type MaturityCategory, type MaturityScore } from "../../src/model/maturity.js";

export interface ScannedOrganisation {
  org: Organisation;
  runId: string;
  outcome: ScanOutcome;
  score: MaturityScore;
  dbPath: string;
  /** Stops the organisation's services and deletes its files. */
  stop(): Promise<void>;
}

/** Starts an organisation, scans it into a fresh SQLite store in its own directory, and keeps it running. */
export async function scannedOrganisation(
  kind: OrganisationKind,
  options: Omit<OrganisationOptions, "workDir"> & Omit<OrganisationScanOptions, "dbPath">,
): Promise<ScannedOrganisation> {
  const dir = await mkdtemp(join(tmpdir(), `pkiscope-org-${kind}-`));
  const { ldap, files, ...serving } = options;
  const org = await startOrganisation(kind, { ...serving, workDir: dir });
  const stop = async () => {
    await org.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const dbPath = join(dir, "pkiscope.db");
    const { runId, outcome } = await scanOrganisation(org, { dbPath, ...(ldap ? { ldap } : {}), ...(files ? { files } : {}) });
    const score = outcome.conclusions.maturity;
    if (!score) throw new Error(`the scan of the ${kind} organisation has no maturity score`);
    return { org, runId, outcome, score, dbPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ExpectedCategory {
  level: number | null;
  /** Each applied cap as its level and the rules whose findings raised it (none for a metric cap). */
  caps: { level: number; rules: string[] }[];
  /** Criteria below level 4 that the scan cannot assess; every level-4 criterion is not assessed on a first scan. */
  notAssessed: string[];
}

export type ExpectedScore = Record<MaturityCategory, ExpectedCategory>;

/**
 * The organisations are scanned without --protocols, so whether endpoints still accept TLS 1.0 or
 * 1.1 is not observed: a criterion that widens the bounds, never moves a level.
 */
const LEGACY_PROTOCOLS = "agility.no-legacy-protocols";

/** Strategy is what people know: every criterion below level 4 waits for an answer. */
const STRATEGY: ExpectedCategory = { level: null, caps: [], notAssessed: ["strategy.ownership", "strategy.critical-infrastructure", "strategy.enterprise-wide"] };

/** Scanned without AD CS (the unit project). */
export const EXPECTED: Record<OrganisationKind, ExpectedScore> = {
  "ad-hoc": {
    // 2 of 10 certificates in use expired (shop, nas): more than the 10% level 1 allows; one CRL
    // of two is stale; IT's issuing CA expires before the portal certificate it issued.
    reliability: { level: 0, caps: [{ level: 1, rules: ["expired"] }, { level: 1, rules: ["crl-stale"] }], notAssessed: ["reliability.ocsp-answers"] },
    // 8 of 10 certificates in use chain to no sanctioned root: more than the half level 1 allows.
    efficiency: { level: 0, caps: [{ level: 1, rules: ["self-signed-leaf"] }], notAssessed: [] },
    // Level 1 holds (CAs issue; online roots cannot be seen without AD CS), weak keys and a SHA-1
    // signature fail level 2, and weak keys cap it at 1 anyway.
    security: { level: 1, caps: [{ level: 1, rules: ["weak-key"] }], notAssessed: ["security.no-online-root"] },
    governance: { level: 0, caps: [{ level: 1, rules: ["untrusted-issuer"] }], notAssessed: [] },
    // 1 of 7 endpoints chains to a sanctioned CA: the rest depend on per-application CAs (level 0).
    agility: { level: 0, caps: [], notAssessed: [LEGACY_PROTOCOLS] },
    strategy: STRATEGY,
  },
  foundational: {
    // Fresh CRLs, nothing expired; no OCSP to judge; one CDP per certificate is no redundancy.
    reliability: { level: 2, caps: [], notAssessed: ["reliability.ocsp-answers"] },
    // All sanctioned, but one-year certificates: no short-lived or ACME-style issuance.
    efficiency: { level: 2, caps: [], notAssessed: [] },
    // No weak keys or signatures; the hand-picked RSA key sizes give the issuing CA no single profile.
    security: { level: 2, caps: [], notAssessed: ["security.no-online-root"] },
    // Every issued certificate carries the CP's OID; profiles are not held to one.
    governance: { level: 2, caps: [], notAssessed: [] },
    // Every endpoint sanctioned, TLS 1.3, but RSA alone.
    agility: { level: 2, caps: [], notAssessed: [LEGACY_PROTOCOLS] },
    strategy: STRATEGY,
  },
  transformative: {
    // CRLs fresh, both responders answer, every CA's certificates name two revocation sources.
    reliability: { level: 3, caps: [], notAssessed: [] },
    // 90- and 45-day certificates for four hosts per issuing CA: two ACME-style issuers.
    efficiency: { level: 3, caps: [], notAssessed: [] },
    // One profile per CA (the root's two issuing CAs alike, each issuing CA one key type).
    security: { level: 3, caps: [], notAssessed: ["security.no-online-root"] },
    governance: { level: 3, caps: [], notAssessed: [] },
    // RSA and ECDSA, TLS 1.3 everywhere.
    agility: { level: 3, caps: [], notAssessed: [LEGACY_PROTOCOLS] },
    strategy: STRATEGY,
  },
};

/** The score, in the terms of ExpectedScore, with the rule ids behind each cap read from the run's findings. */
export function observedScore({ score, outcome }: Pick<ScannedOrganisation, "score" | "outcome">): ExpectedScore {
  const ruleOf = new Map(outcome.conclusions.findings.map((f) => [f.id, f.ruleId]));
  return Object.fromEntries(MATURITY_CATEGORIES.map((id) => {
    const c = score.categories[id];
    return [id, {
      level: c.level,
      caps: c.caps.map((cap) => ({ level: cap.level, rules: [...new Set(cap.findings.map((f) => ruleOf.get(f) ?? `unknown finding ${f}`))].sort() })),
      notAssessed: c.criteria.filter((cr) => cr.status === "not-assessed" && cr.level < 4).map((cr) => cr.id),
    }];
  })) as ExpectedScore;
}

/** Nothing at level 4 is visible in a single scan with no answers: every level-4 criterion is not assessed. */
export function expectLevelFourNotAssessed(score: MaturityScore): void {
  for (const id of MATURITY_CATEGORIES) {
    for (const c of score.categories[id].criteria.filter((cr) => cr.level === 4)) {
      expect(c.status, c.id).toBe("not-assessed");
      expect(c.notAssessed, c.id).toBeTruthy();
    }
  }
}

/** Rule ids raised on each host: findings naming its endpoint or its leaf. */
export function rulesByHost({ org, outcome }: Pick<ScannedOrganisation, "org" | "outcome">): Record<string, string[]> {
  return Object.fromEntries(org.hosts.map((h) => {
    const leaf = outcome.view.endpoints.find((e) => e.id === h.endpoint)?.chain[0];
    const rules = outcome.conclusions.findings.filter((f) => f.endpoints.includes(h.endpoint) || (leaf !== undefined && f.certificate === leaf));
    return [h.identity.name, [...new Set(rules.map((f) => f.ruleId))].sort()];
  }));
}

export function expectedRulesByHost(org: Organisation): Record<string, string[]> {
  return Object.fromEntries(org.hosts.map((h) => [h.identity.name, [...h.identity.expectedRules].sort()]));
}

/**
 * Every level rests on something: a non-null level cites at least one evidence ref (a criterion's
 * or a cap's findings) or names a not-assessed criterion; a null level has a not-assessed
 * criterion. And every ref cited names an object of the run.
 */
export function expectEvidenceBehindEveryLevel({ score, outcome }: Pick<ScannedOrganisation, "score" | "outcome">): void {
  const { view, conclusions } = outcome;
  const exists: Record<EvidenceRef["kind"], (id: string) => boolean> = {
    certificate: (id) => view.bySha.has(id),
    endpoint: (id) => view.endpoints.some((e) => e.id === id),
    finding: (id) => conclusions.findings.some((f) => f.id === id),
    crl: (id) => view.crls.some((c) => c.url === id),
    "ocsp-responder": (id) => view.ocsp.some((o) => o.url === id),
    template: (id) => view.adcs.some((a) => a.templates.some((t) => t.template.dn === id)),
    "enterprise-ca": (id) => view.adcs.some((a) => a.enterpriseCas.some((ca) => ca.dn === id)),
  };
  for (const id of MATURITY_CATEGORIES) {
    const c = score.categories[id];
    const refs = c.criteria.flatMap((cr) => cr.evidence);
    const capFindings = c.caps.flatMap((cap) => cap.findings);
    const notAssessed = c.criteria.filter((cr) => cr.status === "not-assessed");
    if (c.level === null) expect(notAssessed.length, id).toBeGreaterThan(0);
    else expect(refs.length + capFindings.length + notAssessed.length, id).toBeGreaterThan(0);
    for (const ref of refs) expect(exists[ref.kind](ref.id), `${id}: ${ref.kind} ${ref.id}`).toBe(true);
    for (const f of capFindings) expect(exists.finding(f), `${id}: cap finding ${f}`).toBe(true);
    for (const cr of notAssessed) expect(cr.notAssessed, cr.id).toBeTruthy();
  }
}

/** The model's order: ad hoc < foundational < transformative in security, reliability and governance; foundational < transformative in efficiency. */
export function expectRanked(scores: Record<OrganisationKind, MaturityScore>): void {
  const level = (kind: OrganisationKind, category: MaturityCategory): number => {
    const value = scores[kind].categories[category].level;
    expect(value, `${kind} ${category}`).not.toBeNull();
    return value!;
  };
  for (const category of ["security", "reliability", "governance"] as const) {
    expect(level("ad-hoc", category), category).toBeLessThan(level("foundational", category));
    expect(level("foundational", category), category).toBeLessThan(level("transformative", category));
  }
  expect(level("foundational", "efficiency")).toBeLessThan(level("transformative", "efficiency"));
}
