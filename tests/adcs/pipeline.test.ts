// AD CS collection inside the scan's stages: CA certificates read from LDAP join the CA
// inventory (so a certificate issued by an enterprise CA chains to the sanctioned root through
// them), the certificate rules judge them like any other, and NTAuth is checked against what
// the run's own path building sanctions.
import { beforeAll, describe, expect, it } from "vitest";
import { ADCS_RULES } from "../../rules/adcs-rules.js";
import { computeMetrics } from "../../src/maturity/metrics.js";
import { adcsLab } from "./lab.js";
import { scanLab } from "./scan-lab.js";

const lab = adcsLab();
const { manifest } = lab;

describe("AD CS collection in a scan", () => {
  let scan: Awaited<ReturnType<typeof scanLab>>;
  beforeAll(async () => {
    scan = await scanLab(lab, { revocation: true });
  });

  it("chains an enterprise CA's leaf to the sanctioned root through CA certificates read from LDAP", () => {
    const { view, sanctioned, leaf } = scan;
    const { root, issuing1, issuing2, onlineRoot, rogue } = manifest.cas;
    expect(view.bySha.get(leaf)?.path?.trustedPath).toEqual([leaf, issuing1.sha256, root.sha256]);
    expect(view.bySha.get(issuing1.sha256)?.sources.has("ldap")).toBe(true);
    expect([...sanctioned].filter((s) => s !== leaf).sort()).toEqual([root.sha256, onlineRoot.sha256, issuing1.sha256, issuing2.sha256].sort());
    expect(sanctioned.has(rogue.sha256)).toBe(false);
  });

  it("hands the ldap:/// CDP an AD CS leaf names to the revocation pass", () => {
    const cdp = scan.view.crls.find((c) => c.url.startsWith("ldap:///"));
    expect(cdp?.url).toContain("CN=PkiLab-CA1,CN=dc1,CN=CDP");
    expect(cdp?.certificates).toEqual([scan.leaf]);
    // Read from CN=CDP by the AD CS collector, not fetched: the URL names no host.
    expect(cdp).toMatchObject({ error: null, skipped: null, signature: { status: "valid", issuer: manifest.cas.issuing1.sha256 }, revoked: [] });
    expect(cdp?.crl?.crlNumber).toBe("07");
  });

  it("runs the certificate rules on LDAP-read CA certificates and the AD CS rules on the snapshot", () => {
    const { findings, failures, adcs } = scan;
    expect(failures).toEqual([]);
    expect(adcs).toHaveLength(1);
    const fired = new Set(findings.map((f) => `${f.ruleId} ${(f.certificate ?? String(f.evidence.dn)).toLowerCase()}`));
    for (const e of [...manifest.expectedCertificateFindings, ...manifest.expectedFindings]) {
      expect(fired, `${e.ruleId} on ${e.subject}`).toContain(`${e.ruleId} ${e.subject.toLowerCase()}`);
    }
    // The rogue CA's SHA-1 signature is its own: a self-signature nobody relies on.
    expect(fired).not.toContain(`weak-signature ${manifest.cas.rogue.sha256.toLowerCase()}`);
    const adcsIds = new Set(ADCS_RULES.map((r) => r.meta.id));
    expect(findings.filter((f) => adcsIds.has(f.ruleId))).toHaveLength(manifest.expectedFindings.length);
  });

  it("measures AD CS maturity signals once the directory is scanned", () => {
    const metrics = computeMetrics(scan.view, { findings: scan.findings });
    // CA1 and CA2 are subordinates of the offline root; the third enterprise CA is a root itself.
    expect(metrics["adcs.online-roots"]).toMatchObject({ value: 1, evidence: [{ kind: "enterprise-ca", id: manifest.onlineRootCaDn }] });
    const autoEnrolled = scan.adcs[0]!.templates.filter((t) => t.publishedBy.length > 0 && t.template.enrollmentFlags.includes("CT_FLAG_AUTO_ENROLLMENT"));
    expect(metrics["adcs.auto-enrollment-templates"]!.value).toBe(autoEnrolled.length);
    expect(metrics["adcs.auto-enrollment-templates"]!.notObserved).toBeUndefined();
  });
});
