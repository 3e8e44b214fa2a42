// Facts (and a few rules) from crafted snapshots, for what the lab's descriptors do not show:
// denies, inherit-only ACEs, ownership, WriteProperty limited to an extended right, EKU source
// by schema version, one inventory per forest, an unpublished writable template.
import { describe, expect, it } from "vitest";
import { adcsEsc1 } from "../../rules/adcs-esc1.js";
import { adcsEsc4 } from "../../rules/adcs-esc4.js";
import { type AdcsView, buildAdcsInventories, buildAdcsInventory, enrollableByLowPrivileged } from "../../src/inventory/adcs/facts.js";
import { parseLdapUrl } from "../../src/net/fetcher.js";
import { ADCS_SNAPSHOT_VERSION, type AdcsSnapshot, type CertificateTemplate } from "../../src/model/adcs.js";
import type { Ace, SecurityDescriptor } from "../../src/pki/security-descriptor.js";
import { rightNames } from "../../src/pki/security-descriptor.js";
import type { InventoryView } from "../../src/inventory/inventory.js";

const DOMAIN = "S-1-5-21-1-2-3";
const DOMAIN_USERS = `${DOMAIN}-513`;
const DOMAIN_ADMINS = `${DOMAIN}-512`;
const ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
const CONFIG = "CN=Configuration,DC=x";

function ace(type: Ace["type"], sid: string, mask: number, objectType: string | null = null, flags = 0): Ace {
  return { type, flags, mask, rights: rightNames(mask), objectType, inheritedObjectType: null, sid };
}

function sd(dacl: Ace[], owner = DOMAIN_ADMINS): SecurityDescriptor {
  return { owner, group: owner, dacl, skippedAces: 0 };
}

function template(name: string, security: SecurityDescriptor, extra: Partial<CertificateTemplate> = {}): CertificateTemplate {
  return {
    dn: `CN=${name},CN=Certificate Templates,${CONFIG}`, name, objectClass: "pKICertificateTemplate", security, securityError: null,
    displayName: name, oid: null, schemaVersion: 2, certificateNameFlag: 0, nameFlags: [], enrollmentFlag: 0, enrollmentFlags: [],
    privateKeyFlag: 0, raSignatures: 0, raApplicationPolicies: [], raIssuancePolicies: [], minimalKeySize: 2048, keyAlgorithm: "RSA",
    extendedKeyUsage: [], applicationPolicies: [], issuancePolicies: [], validityDays: 365, renewalDays: 42, ...extra,
  };
}

function snapshot(templates: CertificateTemplate[], overrides: Partial<AdcsSnapshot> = {}): AdcsSnapshot {
  return {
    version: ADCS_SNAPSHOT_VERSION, source: "ldaps://dc:636", configurationNamingContext: CONFIG, defaultNamingContext: "DC=x", domainSid: DOMAIN,
    templates, certificationAuthorities: [], ntAuth: null, aia: [], cdp: [], oids: [], otherObjects: [], errors: [], truncated: false,
    enrollmentServices: [{
      dn: `CN=CA,CN=Enrollment Services,${CONFIG}`, name: "CA", objectClass: "pKIEnrollmentService", security: sd([]), securityError: null,
      certificates: [], dnsHostName: "ca.x", templates: templates.map((t) => t.name.toUpperCase()),
    }],
    principals: { [DOMAIN_USERS]: { name: "Domain Users", resolution: "directory" } },
    ...overrides,
  };
}

const facts = (t: CertificateTemplate) => buildAdcsInventory(snapshot([t]), new Set()).templates[0]!;

describe("AD CS facts", () => {
  it("matches published template names case-insensitively and names principals", () => {
    const t = facts(template("Web", sd([ace("allowed-object", DOMAIN_USERS, 0x100, ENROLL)])));
    expect(t.publishedBy).toEqual(["CA"]);
    expect(t.lowPrivilegedEnrollers).toEqual([{ sid: DOMAIN_USERS, name: "Domain Users", rights: ["Enroll"] }]);
    expect(enrollableByLowPrivileged(t)).toBe(true);
  });

  it("drops a right the same principal is explicitly denied, including through a broader deny", () => {
    const denied = facts(template("Denied", sd([ace("denied", DOMAIN_USERS, 0x100), ace("allowed-object", DOMAIN_USERS, 0x100, ENROLL)])));
    expect(denied.lowPrivilegedEnrollers).toEqual([]);
    const otherSid = facts(template("OtherDeny", sd([ace("denied", "S-1-1-0", 0x100), ace("allowed-object", DOMAIN_USERS, 0x100, ENROLL)])));
    expect(otherSid.lowPrivilegedEnrollers).toHaveLength(1);
  });

  it("ignores inherit-only ACEs, which do not apply to the object itself", () => {
    const t = facts(template("InheritOnly", sd([ace("allowed", DOMAIN_USERS, 0x000f01ff, null, 0x08 | 0x02)])));
    expect(t.lowPrivilegedEnrollers).toEqual([]);
    expect(t.lowPrivilegedWriters).toEqual([]);
  });

  it("counts a low-privileged owner as a writer and WriteProperty on Enroll as none", () => {
    const t = facts(template("Owned", sd([ace("allowed-object", "S-1-5-11", 0x20, ENROLL)], DOMAIN_USERS)));
    expect(t.lowPrivilegedWriters).toEqual([{ sid: DOMAIN_USERS, name: "Domain Users", rights: ["Owner"] }]);
  });

  it("names GenericAll as both an enrollment and a write right", () => {
    const t = facts(template("Everyone", sd([ace("allowed", "S-1-1-0", 0x000f01ff)])));
    expect(t.lowPrivilegedEnrollers).toEqual([{ sid: "S-1-1-0", name: "Everyone", rights: ["GenericAll"] }]);
    expect(t.lowPrivilegedWriters[0]?.rights).toEqual(["GenericAll", "GenericWrite", "WriteDacl", "WriteOwner", "WriteProperty"]);
  });

  it("takes EKUs from application policies on v2+ templates and from pKIExtendedKeyUsage on v1", () => {
    const both = { extendedKeyUsage: ["1.3.6.1.5.5.7.3.1"], applicationPolicies: ["1.3.6.1.5.5.7.3.2"] };
    expect(facts(template("V2", sd([]), both)).authenticationEkus).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(facts(template("V1", sd([]), { ...both, schemaVersion: 1 })).authenticationEkus).toEqual([]);
    expect(facts(template("None", sd([]))).noEku).toBe(true);
  });

  it("treats a template without a readable descriptor as enrollable by nobody", () => {
    const t = buildAdcsInventory(snapshot([{ ...template("NoSd", sd([])), security: null, securityError: "not returned" }]), new Set()).templates[0]!;
    expect(t.enrollers).toEqual([]);
    expect(enrollableByLowPrivileged(t)).toBe(false);
  });

  it("reads the DN and attribute of AD CS ldap: CRL URLs, with or without a host", () => {
    expect(parseLdapUrl("ldap:///CN=CA,CN=dc1,CN=CDP,CN=Public%20Key%20Services,DC=x?certificateRevocationList?base?objectClass=cRLDistributionPoint"))
      .toEqual({ host: "", port: 389, dn: "CN=CA,CN=dc1,CN=CDP,CN=Public Key Services,DC=x", attribute: "certificateRevocationList" });
    expect(parseLdapUrl("LDAP://dc1.x:3268/CN=CA,DC=x?deltaRevocationList;binary"))
      .toEqual({ host: "dc1.x", port: 3268, dn: "CN=CA,DC=x", attribute: "deltaRevocationList" });
    // No attribute: a CDP means the CRL.
    expect(parseLdapUrl("ldap://dc1.x/CN=CA,DC=x")).toMatchObject({ attribute: "certificateRevocationList" });
    for (const url of ["http://x/ca.crl", "ldap://dc1.x/", "ldap:///%E0%A4%A?certificateRevocationList"]) expect(parseLdapUrl(url)).toHaveProperty("error");
  });

  it("keeps one inventory per forest and skips snapshots of other kinds or versions", () => {
    const one = snapshot([]);
    const inventories = buildAdcsInventories([
      { kind: "adcs", snapshot: one },
      { kind: "adcs", snapshot: { ...one, source: "ldaps://dc2:636" } },
      { kind: "adcs", snapshot: { ...one, configurationNamingContext: "CN=Configuration,DC=y" } },
      { kind: "adcs", snapshot: { ...one, version: 99 } },
      { kind: "other", snapshot: one },
    ], new Set());
    expect(inventories.map((i) => i.configurationNamingContext)).toEqual([CONFIG, "CN=Configuration,DC=y"]);
  });
});

describe("AD CS rules on crafted snapshots", () => {
  const view = (snap: AdcsSnapshot) => ({ adcs: [buildAdcsInventory(snap, new Set())] }) as unknown as InventoryView & AdcsView;

  it("ESC4 still fires on a template no CA publishes, one severity lower and saying why", () => {
    const writable = template("Orphan", sd([ace("allowed", "S-1-1-0", 0x40000)]));
    const [finding] = adcsEsc4.evaluate(view({ ...snapshot([writable]), enrollmentServices: [] }));
    expect(finding).toMatchObject({ severity: "high", evidence: { severityReason: "published by no CA", trigger: ["WriteDacl"] } });
    expect(finding?.message).toContain("published by no CA");
  });

  it("ESC1 does not fire through a GenericAll held only by admins", () => {
    const t = template("AdminsOnly", sd([ace("allowed", DOMAIN_ADMINS, 0x000f01ff)]), { certificateNameFlag: 1, applicationPolicies: ["1.3.6.1.5.5.7.3.2"] });
    expect(adcsEsc1.evaluate(view(snapshot([t])))).toEqual([]);
  });
});
