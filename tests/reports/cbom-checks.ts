// What every CBOM pkiscope writes must satisfy, whatever was scanned: valid CycloneDX 1.6 by the
// library's strict JSON schema validator (schemas bundled, offline), one component per reported
// certificate, keys and algorithms each once, and every reference pointing at a component.
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { expect } from "vitest";
import type { Cbom, CbomComponent } from "../../src/reports/cbom.js";
import type { Report } from "../../src/reports/report-model.js";

const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

/** Parses the CBOM text after checking it against the CycloneDX 1.6 strict schema. */
export async function validCbom(text: string): Promise<Cbom> {
  expect(await validator.validate(text)).toBeNull();
  return JSON.parse(text) as Cbom;
}

export function byRef(cbom: Cbom): Map<string, CbomComponent> {
  return new Map(cbom.components.map((c) => [c["bom-ref"], c]));
}

export type CertificateProperties = Extract<CbomComponent["cryptoProperties"], { assetType: "certificate" }>["certificateProperties"];

export function certificatePropertiesOf(component: CbomComponent | undefined): CertificateProperties {
  expect(component?.cryptoProperties.assetType).toBe("certificate");
  return (component!.cryptoProperties as { certificateProperties: CertificateProperties }).certificateProperties;
}

/** The CBOM covers the report: every certificate, each distinct key once, every reference resolved and linked in the dependencies. */
export function expectCbomCoversReport(cbom: Cbom, report: Report): void {
  const components = byRef(cbom);
  expect(components.size).toBe(cbom.components.length);
  const dependsOn = new Map(cbom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
  expect(new Set(dependsOn.keys())).toEqual(new Set(components.keys()));

  for (const c of report.inventory.certificates) {
    const ref = `crypto/certificate/sha256:${c.sha256}`;
    const properties = certificatePropertiesOf(components.get(ref));
    expect(properties).toMatchObject({ subjectName: c.subject, issuerName: c.issuer, notValidBefore: c.notBefore, notValidAfter: c.notAfter, certificateFormat: "X.509" });
    const key = components.get(properties.subjectPublicKeyRef);
    expect(key?.cryptoProperties).toMatchObject({ assetType: "related-crypto-material", relatedCryptoMaterialProperties: { type: "public-key", id: `spki-sha256:${c.spkiSha256}` } });
    expect(components.get(properties.signatureAlgorithmRef)?.cryptoProperties.assetType).toBe("algorithm");
    expect(dependsOn.get(ref)).toEqual(expect.arrayContaining([properties.subjectPublicKeyRef, properties.signatureAlgorithmRef]));
    const keyAlgorithmRef = (key!.cryptoProperties as { relatedCryptoMaterialProperties: { algorithmRef: string } }).relatedCryptoMaterialProperties.algorithmRef;
    expect(components.get(keyAlgorithmRef)?.cryptoProperties.assetType).toBe("algorithm");
    expect(dependsOn.get(properties.subjectPublicKeyRef)).toEqual([keyAlgorithmRef]);
    const locations = (components.get(ref)!.evidence?.occurrences ?? []).map((o) => o.location);
    expect(locations.sort()).toEqual([...c.endpoints, ...c.files].sort());
  }
  const assets = (type: string): CbomComponent[] => cbom.components.filter((c) => c.cryptoProperties.assetType === type);
  expect(assets("certificate")).toHaveLength(report.inventory.certificates.length);
  expect(assets("related-crypto-material")).toHaveLength(new Set(report.inventory.certificates.map((c) => c.spkiSha256)).size);
  // Nothing dangles: every algorithm is used by some certificate or key.
  const referenced = new Set(cbom.dependencies.flatMap((d) => d.dependsOn ?? []));
  for (const algorithm of assets("algorithm")) expect(referenced).toContain(algorithm["bom-ref"]);
  expect(cbom.metadata.properties).toContainEqual({ name: "pkiscope:run:id", value: report.scan.id });
  expect(cbom.metadata.timestamp).toBe(report.scan.startedAt);
}
