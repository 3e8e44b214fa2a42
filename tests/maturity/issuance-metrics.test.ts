// Issuance metrics over small real inventories: short-lived certificates from one issuer across
// several hosts read as ACME-style automation, a handful of one-year certificates does not; a CA
// issuing one profile is consistent, one mixing key types and EKUs is not.
import { describe, expect, it } from "vitest";
import { computeMetrics } from "../../src/maturity/metrics.js";
import { caProfile, daysFromNow, issued, selfSigned, served, serverProfile, testKeys, viewOf } from "../rules/inventory.js";

const keys = testKeys();
const root = selfSigned("Root CA", keys.ec(), caProfile());
const ca = issued("Issuing CA", keys.ec(), root, caProfile({ notAfter: daysFromNow(2000) }));

const leaves = (days: number, hosts: string[], key = () => keys.ec()) =>
  hosts.flatMap((host) => served(`${host}:443`, issued(host, key(), ca, serverProfile(host, { notBefore: daysFromNow(-10), notAfter: daysFromNow(days - 10) })), ca));

const metricsOf = async (certificates: ReturnType<typeof served>) => {
  const view = await viewOf({ certificates, anchors: [root] });
  return { view, metrics: computeMetrics(view, { findings: [] }) };
};

describe("issuance metrics", () => {
  it("reads short-lived certificates from one issuer for several hosts as ACME-style issuance", async () => {
    const { view, metrics } = await metricsOf(leaves(90, ["a.test", "b.test", "c.test"]));
    const caId = view.certificates.find((c) => c.record.subject.includes("Issuing CA"))!.sha256;
    expect(metrics["issuance.acme-style-issuers"]).toMatchObject({ value: 1, evidence: [{ kind: "certificate", id: caId }] });
    expect(metrics["tls.short-lived-share"]).toMatchObject({ value: 1, count: 3, total: 3 });
  });

  it("does not for one-year certificates, nor for short-lived ones on too few hosts", async () => {
    expect((await metricsOf(leaves(365, ["a.test", "b.test", "c.test"]))).metrics["issuance.acme-style-issuers"]!.value).toBe(0);
    expect((await metricsOf(leaves(90, ["a.test", "b.test"]))).metrics["issuance.acme-style-issuers"]!.value).toBe(0);
  });

  it("finds a CA issuing one profile consistent, and one mixing key types inconsistent", async () => {
    const uniform = await metricsOf(leaves(365, ["a.test", "b.test"]));
    expect(uniform.metrics["profiles.consistent-ca-share"]).toMatchObject({ value: 1, count: 1, total: 1 });
    const mixed = await metricsOf([
      ...leaves(365, ["a.test"]),
      ...leaves(365, ["b.test"], () => keys.rsa2048),
    ]);
    expect(mixed.metrics["profiles.consistent-ca-share"]).toMatchObject({ value: 0, count: 0, total: 1 });
  });

  it("leaves profile consistency unmeasured when no CA issued two certificates", async () => {
    const { metrics } = await metricsOf(leaves(365, ["a.test"]));
    expect(metrics["profiles.consistent-ca-share"]).toMatchObject({ value: null, evidence: [] });
    expect(metrics["profiles.consistent-ca-share"]!.notObserved).toBeTruthy();
  });
  it("reads policy OIDs and CPS pointers in issued certificates as evidence of a CP/CPS", async () => {
    const withCps = issued("cps.test", keys.ec(), ca, serverProfile("cps.test", { certificatePolicies: ["1.3.6.1.4.1.99999.1"], cpsUri: "http://pki.test/cps.html" }));
    const oidOnly = issued("oid.test", keys.ec(), ca, serverProfile("oid.test", { certificatePolicies: ["1.3.6.1.4.1.99999.1"] }));
    const { view, metrics } = await metricsOf([...served("cps.test:443", withCps, ca), ...served("oid.test:443", oidOnly, ca)]);
    expect(view.bySha.get(withCps.sha256)!.record.cpsUris).toEqual(["http://pki.test/cps.html"]);
    expect(view.bySha.get(oidOnly.sha256)!.record.cpsUris).toEqual([]);
    // The issuing CA (served in both chains) counts as issued too, with neither.
    expect(metrics["policy.oid-share"]).toMatchObject({ count: 2, total: 3 });
    expect(metrics["policy.cps-share"]).toMatchObject({ count: 1, total: 3, evidence: [{ kind: "certificate", id: withCps.sha256 }] });
  });
});
