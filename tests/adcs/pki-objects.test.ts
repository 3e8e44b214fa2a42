// Entries as ldapts hands them over, made hostile: a descriptor that does not parse, values far
// over their cap, flag words that are not integers, objects in unexpected places. Each problem
// is recorded against its DN and the object is still kept.
import { describe, expect, it } from "vitest";
import type { Entry } from "ldapts";
import { LdapEntry } from "../../collectors/adcs/ldap-entry.js";
import { addEntry } from "../../collectors/adcs/pki-objects.js";
import { ADCS_SNAPSHOT_VERSION, type AdcsSnapshot } from "../../src/model/adcs.js";
import { securityDescriptor } from "./sd-builder.js";

const PKS = "CN=Public Key Services,CN=Services,CN=Configuration,DC=x";
const GOOD_SD = securityDescriptor({ owner: "S-1-5-18", group: "S-1-5-18", aces: [] });

function emptySnapshot(): AdcsSnapshot {
  return {
    version: ADCS_SNAPSHOT_VERSION, source: "ldaps://dc:636", configurationNamingContext: "CN=Configuration,DC=x", defaultNamingContext: "DC=x",
    domainSid: null, templates: [], enrollmentServices: [], certificationAuthorities: [], ntAuth: null, aia: [], cdp: [], oids: [],
    otherObjects: [], principals: {}, errors: [], truncated: false,
  };
}

function add(entry: Entry): { snapshot: AdcsSnapshot; certificates: ReturnType<typeof addEntry> } {
  const snapshot = emptySnapshot();
  const certificates = addEntry(new LdapEntry(entry), PKS, snapshot);
  return { snapshot, certificates };
}

const templateEntry = (extra: Record<string, string | string[] | Buffer | Buffer[]>): Entry => ({
  dn: `CN=T,CN=Certificate Templates,${PKS}`, objectClass: ["top", "pKICertificateTemplate"], cn: "T", nTSecurityDescriptor: GOOD_SD, ...extra,
});

describe("PKI entries from hostile directories", () => {
  it("keeps a template whose descriptor does not parse, with the reason on the object", () => {
    const { snapshot } = add(templateEntry({ nTSecurityDescriptor: Buffer.from("01000480ffffffff", "hex") }));
    expect(snapshot.templates).toHaveLength(1);
    expect(snapshot.templates[0]).toMatchObject({ security: null, securityError: expect.stringContaining("unparsable nTSecurityDescriptor") });
  });

  it("tells a missing descriptor from an empty one (no SD flags control, or no right to read)", () => {
    const { nTSecurityDescriptor: _sd, ...withoutSd } = templateEntry({});
    expect(add(withoutSd as Entry).snapshot.templates[0]?.securityError).toContain("not returned");
    expect(add(templateEntry({ nTSecurityDescriptor: Buffer.alloc(0) })).snapshot.templates[0]?.securityError).toContain("empty");
  });

  it("drops values over their cap and records them", () => {
    const huge = Buffer.alloc(2 * 1024 * 1024, 0x41);
    const { snapshot, certificates } = add({
      dn: `CN=Big,CN=AIA,${PKS}`, objectClass: ["top", "certificationAuthority"], cn: "Big", nTSecurityDescriptor: GOOD_SD, cACertificate: [huge, huge],
    });
    expect(certificates).toEqual([]);
    expect(snapshot.aia[0]?.certificates).toEqual([]);
    expect(snapshot.errors).toEqual([
      { context: `CN=Big,CN=AIA,${PKS}`, message: expect.stringContaining("value of 2097152 bytes exceeds 1048576") },
      { context: `CN=Big,CN=AIA,${PKS}`, message: expect.stringContaining("value of 2097152 bytes exceeds 1048576") },
    ]);
  });

  it("records flag words that are not integers and reads them as no flags", () => {
    const { snapshot } = add(templateEntry({ "msPKI-Certificate-Name-Flag": "lots", "msPKI-Minimal-Key-Size": "99999999999" }));
    expect(snapshot.templates[0]).toMatchObject({ certificateNameFlag: 0, nameFlags: [], minimalKeySize: null });
    expect(snapshot.errors.map((e) => e.message)).toEqual(["msPKI-Certificate-Name-Flag is not an integer", "msPKI-Minimal-Key-Size is not an integer"]);
  });

  it("still records garbage in cACertificate as a sighting (the inventory marks it unparsable)", () => {
    const { snapshot, certificates } = add({
      dn: `CN=NTAuthCertificates,${PKS}`, objectClass: ["top", "certificationAuthority"], cn: "NTAuthCertificates", nTSecurityDescriptor: GOOD_SD,
      cACertificate: [Buffer.from("not a certificate"), Buffer.from([0])],
    });
    expect(certificates).toEqual([{ der: Buffer.from("not a certificate"), location: `CN=NTAuthCertificates,${PKS}` }]);
    expect(snapshot.ntAuth?.certificates).toEqual([{ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), subject: null, notAfter: null }]);
  });

  it("classifies by class and place: a CA object outside the known containers is just an object", () => {
    const { snapshot } = add({ dn: `CN=Stray,CN=KRA,${PKS}`, objectClass: ["top", "certificationAuthority"], cn: "Stray", nTSecurityDescriptor: GOOD_SD });
    expect(snapshot.otherObjects.map((o) => o.objectClass)).toEqual(["certificationAuthority"]);
  });

  it("reads DNs with escaped commas in their first RDN", () => {
    const { snapshot } = add({ dn: `CN=Contoso\\, Inc. CA,CN=Certification Authorities,${PKS}`, objectClass: ["top", "certificationAuthority"], cn: "Contoso, Inc. CA", nTSecurityDescriptor: GOOD_SD });
    expect(snapshot.certificationAuthorities.map((c) => c.name)).toEqual(["Contoso, Inc. CA"]);
  });
});
