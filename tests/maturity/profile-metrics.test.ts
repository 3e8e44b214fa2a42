// profiles.defect-free-share over a small real inventory judged by certificate-profile: the share
// of issued certificates in use without a profile finding, citing the flagged ones.
import { describe, expect, it } from "vitest";
import { certificateProfile } from "../../rules/certificate-profile.js";
import { runRules } from "../../src/engine/rule-runner.js";
import type { InventoryView } from "../../src/inventory/inventory.js";
import { computeMetrics } from "../../src/maturity/metrics.js";
import { caProfile, inFile, issued, selfSigned, served, serverProfile, testKeys, viewOf } from "../rules/inventory.js";

const keys = testKeys();
const root = selfSigned("Root CA", keys.ec(), caProfile());
const ca = issued("Issuing CA", keys.ec(), root, caProfile());
const clean = issued("clean.test", keys.ec(), ca, serverProfile("clean.test"));
const zeroSerial = issued("zero.test", keys.ec(), ca, serverProfile("zero.test", { serialNumber: 0n }));

const defectFree = (view: InventoryView) => computeMetrics(view, { findings: runRules([certificateProfile], view).findings })["profiles.defect-free-share"];

describe("profiles.defect-free-share", () => {
  it("counts issued certificates in use without a certificate-profile finding and cites the flagged ones", async () => {
    const view = await viewOf({ certificates: [...served("clean.test:443", clean, ca), ...served("zero.test:443", zeroSerial, ca)], anchors: [root] });
    // The issuing CA is served in both chains: issued and in use, like the two leaves.
    expect(defectFree(view)).toEqual({
      id: "profiles.defect-free-share", description: expect.any(String), value: 2 / 3, count: 2, total: 3,
      evidence: [{ kind: "certificate", id: zeroSerial.sha256 }],
    });
  });

  it("leaves out records without profile facts, which the rule could not judge", async () => {
    const view = await viewOf({ certificates: [...served("clean.test:443", clean, ca), ...served("zero.test:443", zeroSerial, ca)], anchors: [root] });
    delete view.bySha.get(zeroSerial.sha256)!.record.profile;
    expect(defectFree(view)).toMatchObject({ value: 1, count: 2, total: 2, evidence: [] });
  });

  it("is not observed when no issued certificate is in use", async () => {
    const metric = defectFree(await viewOf({ certificates: inFile("/etc/ssl/certs/root.pem", root) }));
    expect(metric).toMatchObject({ value: null, evidence: [] });
    expect(metric!.notObserved).toBeTruthy();
  });
});
