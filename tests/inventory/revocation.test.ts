// Revocation judgements in the analysis, from stored observations: a CRL revokes a certificate
// only when a CA certificate of the run (or an anchor) named as its issuer verifies it. A forged
// CRL listing a healthy served certificate's serial raises crl-bad-signature, never
// revoked-in-use; the genuine CRL listing it does.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { buildCrl } from "../../fixtures/lib/crl-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { crlBadSignature } from "../../rules/crl-bad-signature.js";
import { revokedInUse } from "../../rules/revoked-in-use.js";
import { DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { runRules } from "../../src/engine/rule-runner.js";
import { analyseRun } from "../../src/inventory/analyse.js";
import { buildInventoryView } from "../../src/inventory/inventory.js";
import type { TrustAnchorSet } from "../../src/inventory/trust-anchors.js";
import type { CrlFetch } from "../../src/model/revocation.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { readCrl } from "../../src/pki/crl.js";
import type { RunObservations } from "../../src/store/store.js";
import { storedCertificate } from "../../src/observations/recorder.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const validity = { notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2027-01-01T00:00:00Z") };
const CDP = "http://127.0.0.1:9/issuing.crl";
const caKey = generateKeyPair({ kind: "ec", curve: "P-256" });
const ca = buildCertificate({ subject: [["CN", "Judged Root CA"]], publicKey: caKey.publicKey, selfSignKey: caKey.privateKey, isCA: true, keyUsage: ["keyCertSign", "cRLSign"], ...validity });
const leafKey = generateKeyPair({ kind: "ec", curve: "P-256" });
const leaf = buildCertificate({
  subject: [["CN", "healthy.judged.test"]], publicKey: leafKey.publicKey, issuer: { certificateDer: ca.der, privateKey: caKey.privateKey },
  dnsNames: ["healthy.judged.test"], crlDistributionPoints: [CDP], isCA: false, ...validity,
});
const listingLeaf = [{ serial: BigInt(`0x${new X509Certificate(leaf.der).serialNumber}`), date: new Date("2026-05-01T00:00:00Z"), reason: "keyCompromise" as const }];
const forgerKey = generateKeyPair({ kind: "ec", curve: "P-256" });
const crl = (privateKey: typeof caKey.privateKey, revoked = listingLeaf) =>
  buildCrl({ issuer: { certificateDer: ca.der, privateKey }, thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z"), revoked }).der;

/** Stored as the recorder stores it, parsed strictly: a fixture that does not parse fails the test. */
const parsedCertificate = (der: Buffer) => storedCertificate(der, undefined, parseCertificate(der));

/** A run that served the leaf (and its CA) and fetched one CRL from its distribution point. */
async function judged(crlDer: Buffer) {
  const certificates = [parsedCertificate(leaf.der), parsedCertificate(ca.der)];
  const info = readCrl(crlDer);
  const fetch: CrlFetch = {
    url: CDP, source: "cdp", fetchedAt: NOW.toISOString(), latencyMs: 3, httpStatus: 200, error: null, skipped: null,
    crl: {
      sha256: info.sha256, size: info.size, issuer: info.issuer, issuerNameHash: info.issuerNameHash, thisUpdate: info.thisUpdate,
      nextUpdate: info.nextUpdate, crlNumber: info.crlNumber, deltaCrlIndicator: null, entryCount: info.entryCount,
      signatureAlgorithm: info.signatureAlgorithm, unhandledCriticalExtensions: [],
    },
  };
  const endpoint = "127.0.0.1:443";
  const observations: RunObservations = {
    run: { id: "run", startedAt: NOW.toISOString(), finishedAt: null, complete: true, targets: [], ports: [], options: {}, stats: {} },
    endpoints: [{ id: endpoint, address: "127.0.0.1", port: 443, sni: null, status: "tls", error: null, tlsVersion: "TLSv1.3", cipher: null, chain: certificates.map((c) => c.sha256), stapledOcsp: null, observedAt: NOW.toISOString(), durationMs: 1 }],
    sightings: certificates.map((c, position) => ({ sha256: c.sha256, source: "tls" as const, location: endpoint, position, observedAt: NOW.toISOString(), error: null })),
    certificates, snapshots: [], fetches: [{ kind: "crl", fetch }], crlBodies: new Map([[info.sha256, crlDer]]),
  };
  const anchors: TrustAnchorSet = { source: "test", explicit: true, anchors: [{ sha256: certificates[1]!.sha256, der: ca.der, subjectNameHash: certificates[1]!.subjectNameHash! }] };
  const analysis = await analyseRun(observations, anchors, { checkStaples: true, now: NOW });
  const view = buildInventoryView({ ...observations, ...analysis }, DEFAULT_THRESHOLDS, NOW);
  return { crl: analysis.crls[0]!, leaf: certificates[0]!.sha256, ...runRules([revokedInUse, crlBadSignature], view) };
}

describe("CRL judgements", () => {
  it("lets a forged CRL listing a healthy served certificate revoke nothing", async () => {
    const { crl: forged, findings } = await judged(crl(forgerKey.privateKey));
    expect(forged).toMatchObject({ signature: { status: "invalid", issuer: null }, revoked: [] });
    expect(forged.crl?.entryCount).toBe(1);
    expect(findings.map((f) => f.ruleId)).toEqual(["crl-bad-signature"]);
  });

  it("revokes with the genuine CRL, citing it", async () => {
    const { crl: genuine, findings, leaf: leafId } = await judged(crl(caKey.privateKey));
    expect(genuine.signature.status).toBe("valid");
    expect(genuine.revoked).toEqual([expect.objectContaining({ certificate: leafId, reason: "keyCompromise" })]);
    expect(genuine.certificates).toEqual([leafId]);
    const revoked = findings.filter((f) => f.ruleId === "revoked-in-use");
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ certificate: leafId, severity: "critical", endpoints: ["127.0.0.1:443"] });
  });

  it("finds the healthy certificate clean under a genuine CRL that does not list it", async () => {
    const { crl: genuine, findings, outcomes } = await judged(crl(caKey.privateKey, []));
    expect(genuine).toMatchObject({ signature: { status: "valid" }, revoked: [] });
    expect(findings).toEqual([]);
    expect(outcomes.find((o) => o.ruleId === "revoked-in-use")).toMatchObject({ status: "evaluated", examined: 2, findings: 0 });
  });
});
