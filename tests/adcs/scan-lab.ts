// The scan's stages, run by hand over the lab: trust anchors, AD CS collection, a leaf issued by
// an enterprise CA (as an imported file), path building, optionally the revocation pass, then
// the inventory view, the AD CS inventories and every rule.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adcsCollector } from "../../collectors/adcs/index.js";
import { ADCS_RULES } from "../../rules/adcs-rules.js";
import { RULES } from "../../rules/index.js";
import { DEFAULT_SETTINGS } from "../../src/engine/defaults.js";
import { collectRevocation } from "../../src/engine/revocation-stage.js";
import { runRules } from "../../src/engine/rule-runner.js";
import { type AdcsView, buildAdcsInventories, sanctionedCertificates } from "../../src/inventory/adcs/facts.js";
import { analysePaths } from "../../src/inventory/analyse.js";
import { type InventoryView, buildInventoryView } from "../../src/inventory/inventory.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import { certificatesInBlob } from "../../src/pki/pem.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { loadTrustAnchors } from "../../src/inventory/trust-anchors.js";
import { silentLogger } from "../../src/log.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { collectorContext, labOptions } from "./collect.js";
import type { AdcsLab } from "./lab.js";

export async function scanLab(lab: AdcsLab, { revocation = false } = {}) {
  const { manifest } = lab;
  const dir = mkdtempSync(join(tmpdir(), "pkiscope-adcs-scan-"));
  writeFileSync(join(dir, "roots.pem"), manifest.cas.root.pem);
  const store = new SqliteStore(join(dir, "pkiscope.db"));
  try {
    const anchors = await loadTrustAnchors(join(dir, "roots.pem"));
    const run = await store.createRun({ targets: [], ports: [], options: {} });
    const recorder = new ObservationRecorder(store, run.id);
    const ctx = collectorContext(recorder);
    const observedAt = new Date().toISOString();
    for (const a of anchors.anchors) await recorder.addSighting({ der: a.der, source: "anchor", location: anchors.source, position: null, observedAt });
    await adcsCollector.collect(labOptions(lab), ctx);
    const leaf = certificatesInBlob(Buffer.from(manifest.leafPem))[0]!;
    await recorder.addSighting({ der: leaf, source: "file", location: join(dir, "user1.pem"), position: null, observedAt });
    const { paths } = await analysePaths(store, run.id, recorder, anchors, null, silentLogger);
    if (revocation) await collectRevocation(await store.loadRun(run.id), paths, { enabled: true, crlUrls: [], crlFiles: [] }, null, ctx);
    await recorder.close();
    const contents = await store.loadRun(run.id);
    const view = buildInventoryView({ ...contents, paths }, DEFAULT_SETTINGS);
    const sanctioned = sanctionedCertificates({ ...contents, paths });
    const adcs = buildAdcsInventories(contents.snapshots, sanctioned);
    const withAdcs: InventoryView & AdcsView = { ...view, adcs };
    // The registry may already hold the AD CS rules; each must run once.
    const rules = [...RULES, ...ADCS_RULES.filter((r) => !RULES.includes(r))];
    const { findings, failures } = runRules(rules, withAdcs);
    return { contents, view, sanctioned, adcs, findings, failures, leaf: sha256Hex(leaf) };
  } finally {
    await store.close();
  }
}
