// certificate-profile beyond its behaviour table: each firing case of the table fires for its own
// reason (the table checks only what fires), a record without profile facts (an older parser's)
// is not examined, and weak-key names a DSA key whose parameters are inherited.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { certificateProfile } from "../../rules/certificate-profile.js";
import { weakKey } from "../../rules/weak-key.js";
import { runRules } from "../../src/engine/rule-runner.js";
import type { InventoryView } from "../../src/inventory/inventory.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import { CERTIFICATE_CASES } from "./certificate-cases.js";
import { caProfile, inFile, issued, selfSigned, served, serverProfile, testKeys, viewOf } from "./inventory.js";

const REASONS: Record<string, string[]> = {
  "serial number zero": ["serial-zero"],
  "negative serial number": ["serial-negative"],
  "serial number of 21 octets": ["serial-too-long"],
  "serial number 2^159: 21 octets with its sign byte": ["serial-too-long"],
  "leaf without an authority key identifier": ["aki-missing"],
  "critical authority key identifier": ["aki-critical"],
  "intermediate without a subject key identifier": ["ski-missing"],
  "critical subject key identifier": ["ski-critical"],
  "empty issuer name": ["empty-issuer"],
  "empty subject with a non-critical subjectAltName": ["empty-subject-without-critical-san"],
  "subject key identifier twice": ["duplicate-extensions"],
  "version 1 intermediate that issued the leaf": ["v1-ca"],
  "leaf with keyCertSign": ["leaf-key-cert-sign"],
  "intermediate with anyExtendedKeyUsage": ["ca-forbidden-eku"],
  "intermediate with OCSPSigning": ["ca-forbidden-eku"],
  "intermediate with serverAuth and codeSigning": ["ca-forbidden-eku"],
  "enterprise root with an EKU (read from AD)": ["ca-forbidden-eku"],
};

const keys = testKeys();
const profileCases = CERTIFICATE_CASES.filter((c) => c.rule === certificateProfile);
const firing = profileCases.filter((c) => Object.keys(c.fires).length > 0);

const profileFindings = async (view: InventoryView) => runRules([certificateProfile], view).findings;

describe("certificate-profile reasons", () => {
  it("names a reason for every firing case of the table, and the table covers every reason", () => {
    expect(firing.map((c) => c.name).sort()).toEqual(Object.keys(REASONS).sort());
    expect(new Set(Object.values(REASONS).flat()).size).toBe(13);
  });

  it.each(firing.map((c) => [c.name, c] as const))("%s: fires for that reason alone", async (name, c) => {
    const [finding, ...others] = await profileFindings(await viewOf(c.view(keys)));
    expect(others).toEqual([]);
    expect(finding!.evidence.reasons).toEqual(REASONS[name]);
    expect(finding!.message).toMatch(/^certificate profile: .*(RFC 5280|BR) §/);
  });

  it("lists every reason of a certificate in one finding", async () => {
    const root = selfSigned("Root CA", keys.ec(), caProfile());
    const leaf = issued("leaf", keys.ec(), root, serverProfile("leaf.test", {
      serialNumber: 0n, authorityKeyIdentifier: false, keyUsage: ["digitalSignature", "keyCertSign"],
    }));
    const findings = await profileFindings(await viewOf({ certificates: served("192.0.2.10:443", leaf), anchors: [root] }));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence.reasons).toEqual(["serial-zero", "aki-missing", "leaf-key-cert-sign"]);
    expect(findings[0]!.message.split("; ")).toHaveLength(3);
  });

  it("does not examine a record without profile facts (stored by parser version 3 or earlier)", async () => {
    const spec = firing.find((c) => c.name === "serial number zero")!.view(keys);
    const view = await viewOf(spec);
    const defective = view.certificates.find((c) => c.record.profile?.serialSign === "zero")!;
    expect(runRules([certificateProfile], view).outcomes[0]).toMatchObject({ status: "evaluated", examined: 1, findings: 1 });
    delete defective.record.profile;
    expect(runRules([certificateProfile], view).outcomes[0]).toMatchObject({ status: "not-applicable", examined: 0, findings: 0 });
  });
});

describe("weak-key on DSA keys", () => {
  const pkits = (name: string) => readFileSync(new URL(`../../../shared/corpora/pkits/certs/${name}`, import.meta.url));

  it("says a DSA key's parameters are inherited from its issuer instead of printing an unknown size", async () => {
    const der = pkits("DSAParametersInheritedCACert.crt");
    const inherited = { name: "DSA Parameters Inherited CA", der, sha256: sha256Hex(der), key: keys.ec() };
    const view = await viewOf({ certificates: inFile("/pkits/DSAParametersInheritedCACert.crt", inherited) });
    const [finding] = runRules([weakKey], view).findings;
    expect(finding!.message).toBe("DSA key (parameters inherited from the issuer): DSA is deprecated for certificates");
  });

  it("gives the size of a DSA key with its own parameters", async () => {
    const root = selfSigned("DSA Root", keys.dsa1024, caProfile());
    const [finding] = runRules([weakKey], await viewOf({ certificates: inFile("/etc/ssl/dsa.pem", root) })).findings;
    expect(finding!.message).toBe("DSA key (1024 bits): DSA is deprecated for certificates");
  });
});
