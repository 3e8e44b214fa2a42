// The collector against a real Samba AD DC loaded with the lab: what it reads, how it decodes
// templates and descriptors, which names SIDs get, what it records as sightings, and how each
// transport is secured.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client, type Control } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LdapEntry } from "../../collectors/adcs/ldap-entry.js";
import { SdFlagsControl } from "../../collectors/adcs/sd-flags-control.js";
import { LAB_TEMPLATES, LINKED_POLICY_OID } from "../../fixtures/adcs/lab-definition.js";
import { buildAdcsInventory } from "../../src/inventory/adcs/facts.js";
import type { CertificateTemplate } from "../../src/model/adcs.js";
import { findPublishedCrl } from "../../src/inventory/adcs/published-crls.js";
import { collectAdcsSources } from "../../collectors/adcs/index.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type Collected, collect, collectorContext, labOptions } from "./collect.js";
import { adcsLab, labPassword } from "./lab.js";

const lab = adcsLab();
const { manifest } = lab;
const lower = (dn: string) => dn.toLowerCase();

describe("AD CS collector on a Samba AD DC", () => {
  let run: Collected;
  beforeAll(async () => {
    run = await collect(labOptions(lab));
  });
  afterAll(async () => {
    await run.store.close();
  });
  const template = (name: string): CertificateTemplate => {
    const found = run.snapshot.templates.find((t) => t.name === name);
    if (!found) throw new Error(`template ${name} not collected`);
    return found;
  };

  it("reads the naming contexts, every lab object and no error", () => {
    const s = run.snapshot;
    expect(s.errors).toEqual([]);
    expect(s.truncated).toBe(false);
    expect(s.source).toBe("ldaps://127.0.0.1:636");
    expect(s.configurationNamingContext).toBe(`CN=Configuration,${lab.baseDn}`);
    expect(s.domainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    expect(s.templates.map((t) => t.name).sort()).toEqual(LAB_TEMPLATES.map((t) => t.name).sort());
    expect(s.enrollmentServices.map((e) => e.name).sort()).toEqual(["PkiLab-CA1", "PkiLab-CA2", "PkiLab-OnlineRoot"]);
    expect(s.certificationAuthorities.map((c) => c.name).sort()).toEqual(["PkiLab-OnlineRoot", "PkiLab-Root"]);
    expect(s.aia.map((c) => c.name).sort()).toEqual(["PkiLab-CA1", "PkiLab-CA2", "PkiLab-OnlineRoot"]);
    expect(s.ntAuth?.certificates.map((c) => c.sha256).sort()).toEqual(
      [manifest.cas.issuing1.sha256, manifest.cas.issuing2.sha256, manifest.cas.onlineRoot.sha256, manifest.cas.rogue.sha256].sort(),
    );
    expect(s.oids.map((o) => o.name).sort()).toEqual(["PkiLab-Policy-Linked", "PkiLab-Policy-Unlinked"]);
    expect(s.otherObjects.map((o) => o.name)).toEqual(expect.arrayContaining(["Public Key Services", "Certificate Templates", "Enrollment Services", "OID"]));
    // Two in the root store, three in AIA, four in NTAuth, one per enrollment service.
    expect(run.tally).toEqual({ sources: 1, failed: 0, templates: LAB_TEMPLATES.length, enterpriseCas: 3, caCertificates: 12, crls: 1, errors: 0 });
  });

  it("decodes a template's flags, EKUs, key size, periods and schema version", () => {
    expect(template("PkiLab-ESC1")).toMatchObject({
      schemaVersion: 2,
      certificateNameFlag: 1,
      nameFlags: ["CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT"],
      enrollmentFlags: [],
      extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
      applicationPolicies: ["1.3.6.1.5.5.7.3.2"],
      minimalKeySize: 2048,
      keyAlgorithm: "RSA",
      raSignatures: 0,
      validityDays: 365,
      renewalDays: 42,
    });
    expect(template("PkiLab-ESC9").enrollmentFlags).toEqual(["CT_FLAG_NO_SECURITY_EXTENSION"]);
    expect(template("PkiLab-Safe-ManagerApproval").enrollmentFlags).toEqual(["CT_FLAG_PEND_ALL_REQUESTS"]);
    expect(template("PkiLab-ESC15").schemaVersion).toBe(1);
    expect(template("PkiLab-WeakKey").minimalKeySize).toBe(1024);
    expect(template("PkiLab-ESC13").issuancePolicies).toEqual([LINKED_POLICY_OID]);
  });

  it("parses the descriptor samba-tool dsacl wrote: owner, inherited ACEs and the Enroll object ACE", () => {
    const sd = template("PkiLab-ESC1").security!;
    const sid = run.snapshot.domainSid!;
    expect(sd.owner).toBe(`${sid}-519`);
    expect(sd.dacl).toContainEqual({
      type: "allowed-object", flags: 0, mask: 0x100, rights: ["ExtendedRight"],
      objectType: "0e10c968-78fb-11d2-90d4-00c04f79dc55", inheritedObjectType: null, sid: `${sid}-513`,
    });
    expect(sd.dacl).toContainEqual(expect.objectContaining({ type: "allowed", sid: "S-1-5-11", rights: ["ListChildren", "ReadProperty", "ListObject", "ReadControl"] }));
    expect(sd.dacl!.some((ace) => (ace.flags & 0x10) !== 0)).toBe(true); // inherited from the container
    expect(template("PkiLab-ESC4").security!.dacl).toContainEqual(expect.objectContaining({ sid: `${sid}-513`, rights: ["ReadProperty", "WriteProperty"] }));
  });

  it("needs the SD flags control for an ordinary user to see a descriptor at all", async () => {
    const client = new Client({ url: lab.ldapsUrl, tlsOptions: { rejectUnauthorized: false }, timeout: 5000 });
    try {
      await client.bind(manifest.readerDn, labPassword());
      const read = async (controls: Control[]) => {
        const { searchEntries } = await client.search(manifest.templates[0]!.dn, {
          scope: "base", attributes: ["nTSecurityDescriptor"], explicitBufferAttributes: ["nTSecurityDescriptor"],
        }, controls);
        return new LdapEntry(searchEntries[0]!).buffer("nTSecurityDescriptor")?.length ?? 0;
      };
      expect(await read([])).toBe(0);
      expect(await read([new SdFlagsControl()])).toBeGreaterThan(20);
    } finally {
      await client.unbind();
    }
  });

  it("resolves SIDs to names through the directory and the well-known table", () => {
    const sid = run.snapshot.domainSid!;
    expect(run.snapshot.principals).toMatchObject({
      [`${sid}-513`]: { name: "Domain Users", resolution: "directory" },
      [`${sid}-515`]: { name: "Domain Computers", resolution: "directory" },
      [`${sid}-512`]: { name: "Domain Admins", resolution: "directory" },
      [`${sid}-519`]: { name: "Enterprise Admins", resolution: "directory" },
      "S-1-5-11": { name: "Authenticated Users", resolution: "well-known" },
      "S-1-5-18": { name: "Local System", resolution: "well-known" },
    });
  });

  it("records which templates each enterprise CA publishes and the issuance policy's group link", () => {
    const ca2 = run.snapshot.enrollmentServices.find((e) => e.name === "PkiLab-CA2")!;
    expect(ca2.templates.sort()).toEqual(LAB_TEMPLATES.filter((t) => t.publishedBy.includes("PkiLab-CA2")).map((t) => t.name).sort());
    expect(ca2.dnsHostName).toBe("ca2.pki.test");
    expect(ca2.certificates[0]).toMatchObject({ sha256: manifest.cas.issuing2.sha256, subject: "DC=test, DC=pki, CN=PkiLab Issuing CA 2" });
    const linked = run.snapshot.oids.find((o) => o.name === "PkiLab-Policy-Linked")!;
    expect(linked).toMatchObject({ oidType: 2, groupLink: manifest.privilegedGroupDn });
  });

  it("records every CA certificate as an ldap sighting at the DN it came from", () => {
    const sightings = run.contents.sightings.filter((s) => s.source === "ldap");
    const at = (sha256: string) => sightings.filter((s) => s.sha256 === sha256).map((s) => lower(s.location)).sort();
    const pks = lower(manifest.publicKeyServicesDn);
    expect(at(manifest.cas.root.sha256)).toEqual([`cn=pkilab-root,cn=certification authorities,${pks}`]);
    expect(at(manifest.cas.issuing1.sha256)).toEqual([`cn=ntauthcertificates,${pks}`, `cn=pkilab-ca1,cn=aia,${pks}`, `cn=pkilab-ca1,cn=enrollment services,${pks}`].sort());
    expect(at(manifest.cas.rogue.sha256)).toEqual([`cn=ntauthcertificates,${pks}`]);
    expect(at(manifest.cas.onlineRoot.sha256)).toEqual([
      `cn=ntauthcertificates,${pks}`, `cn=pkilab-onlineroot,cn=aia,${pks}`, `cn=pkilab-onlineroot,cn=certification authorities,${pks}`,
      `cn=pkilab-onlineroot,cn=enrollment services,${pks}`,
    ].sort());
    const stored = run.contents.certificates.find((c) => c.sha256 === manifest.cas.rogue.sha256);
    expect(stored?.record?.isCA).toBe(true);
  });

  it("keeps the CRL published under CN=CDP, but not the one-byte placeholders", () => {
    expect(run.snapshot.cdp).toHaveLength(1);
    const [crl] = run.snapshot.cdp[0]!.crls;
    expect(run.snapshot.cdp[0]!.crls).toHaveLength(1);
    expect(crl?.attribute).toBe("certificateRevocationList");
    expect(Buffer.from(crl!.derBase64, "base64")[0]).toBe(0x30);
  });

  it("finds the published CRL by the ldap:/// URL an AD CS certificate names it with", () => {
    const adcs = buildAdcsInventory(run.snapshot, new Set());
    const dn = `CN=PkiLab-CA1,CN=dc1,CN=CDP,${manifest.publicKeyServicesDn}`;
    const url = `ldap:///${encodeURI(dn)}?certificateRevocationList?base?objectClass=cRLDistributionPoint`;
    expect(findPublishedCrl([adcs], url)).toMatchObject({ dn, attribute: "certificateRevocationList" });
    expect(findPublishedCrl([adcs], url.replace("certificateRevocationList", "deltaRevocationList"))).toBeNull();
    expect(findPublishedCrl([adcs], "http://pki.test/ca1.crl")).toBeNull();
  });

  it("collects several sources in turn and sums their tallies", async () => {
    const store = new SqliteStore(":memory:");
    const run = await store.createRun({ targets: [], ports: [], options: {} });
    const recorder = new ObservationRecorder(store, run.id);
    const tally = await collectAdcsSources([labOptions(lab), labOptions(lab, { url: "ldaps://127.0.0.1:1" })], collectorContext(recorder));
    await recorder.close();
    expect(tally).toEqual({ sources: 2, failed: 1, templates: LAB_TEMPLATES.length, enterpriseCas: 3, caCertificates: 12, crls: 1, errors: 1 });
    expect((await store.loadRun(run.id)).snapshots).toHaveLength(2);
    await store.close();
  });

  it("reads the same over StartTLS and, when explicitly allowed, plain LDAP", async () => {
    for (const options of [{ url: lab.ldapUrl, startTls: true }, { url: lab.ldapUrl, allowPlaintext: true }]) {
      const other = await collect(labOptions(lab, options));
      await other.store.close();
      expect(other.snapshot.errors).toEqual([]);
      expect(other.snapshot.templates).toHaveLength(LAB_TEMPLATES.length);
    }
  });

  it("verifies the DC's certificate by default, over LDAPS and StartTLS", async () => {
    for (const options of [{ url: lab.ldapsUrl }, { url: lab.ldapUrl, startTls: true }]) {
      const refused = await collect(labOptions(lab, { ...options, insecure: false }));
      await refused.store.close();
      expect(refused.snapshot.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/verify|self-signed|certificate/i) })]);
      expect(refused.contents.sightings).toEqual([]);
    }
  });

  it("checks the DC's name against its certificate once the chain verifies (StartTLS included)", async () => {
    const ca = readFileSync(join(lab.sambaDir, "dc/private/tls/ca.pem"), "utf8");
    for (const options of [{ url: lab.ldapsUrl }, { url: lab.ldapUrl, startTls: true }]) {
      const mismatch = await collect(labOptions(lab, { ...options, insecure: false, ca: [ca] }));
      await mismatch.store.close();
      // Samba's certificate names DC1.pki.test only: 127.0.0.1 must not pass, and must be what was checked.
      expect(mismatch.snapshot.errors).toEqual([expect.objectContaining({ message: expect.stringContaining("127.0.0.1") })]);
    }
  });

  it("refuses a simple bind over plain LDAP unless asked, before sending anything", async () => {
    const refused = await collect(labOptions(lab, { url: lab.ldapUrl }));
    await refused.store.close();
    expect(refused.snapshot.errors).toEqual([{ context: "connect", message: expect.stringContaining("in clear") }]);
    expect(refused.tally).toMatchObject({ failed: 1, errors: 1 });
  });

  it("honours the scan's exclusions", async () => {
    const excluded = await collect(labOptions(lab), { exclude: ["127.0.0.0/8"] });
    await excluded.store.close();
    expect(excluded.snapshot.errors).toEqual([{ context: "connect", message: expect.stringContaining("excluded") }]);
  });

  it("stops at the entry limit and says so", async () => {
    const limited = await collect(labOptions(lab, { maxEntries: 5 }));
    await limited.store.close();
    expect(limited.snapshot.truncated).toBe(true);
    const total = limited.snapshot.templates.length + limited.snapshot.enrollmentServices.length + limited.snapshot.otherObjects.length +
      limited.snapshot.certificationAuthorities.length + limited.snapshot.aia.length + limited.snapshot.cdp.length + limited.snapshot.oids.length +
      (limited.snapshot.ntAuth ? 1 : 0);
    expect(total).toBe(5);
    expect(limited.snapshot.errors).toContainEqual({ context: "search", message: expect.stringContaining("stopped after 5 entries") });
  });
});
