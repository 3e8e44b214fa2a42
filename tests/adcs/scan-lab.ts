// A scan of the lab through the real engine: the lab's roots as the sanctioned anchors, AD CS read
// over LDAP, and a leaf issued by an enterprise CA imported as a file; optionally the revocation
// pass (nothing is fetched: ldap:/// CDPs are answered from the directory read).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_FETCH, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { runScan } from "../../src/engine/scan.js";
import { sanctionedCertificates } from "../../src/inventory/adcs/facts.js";
import { silentLogger } from "../../src/log.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import { certificatesInBlob } from "../../src/pki/pem.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { labOptions } from "./collect.js";
import type { AdcsLab } from "./lab.js";

export async function scanLab(lab: AdcsLab, { revocation = false } = {}) {
  const { manifest } = lab;
  const dir = mkdtempSync(join(tmpdir(), "pkiscope-adcs-scan-"));
  writeFileSync(join(dir, "roots.pem"), manifest.sanctionedRootsPem);
  writeFileSync(join(dir, "user1.pem"), manifest.leafPem);
  const store = new SqliteStore(join(dir, "pkiscope.db"));
  try {
    const outcome = await runScan(
      store,
      {
        targetTexts: [], specs: [], ports: [], exclude: [], files: [join(dir, "user1.pem")], trustAnchors: join(dir, "roots.pem"),
        concurrency: 4, timeouts: { connectMs: 3000, handshakeMs: 3000 }, thresholds: DEFAULT_THRESHOLDS,
        fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: { enabled: revocation, crlUrls: [], crlFiles: [] },
        ldap: [labOptions(lab)],
      },
      { log: silentLogger, signal: new AbortController().signal },
    );
    const { view, conclusions } = outcome;
    const leaf = sha256Hex(certificatesInBlob(Buffer.from(manifest.leafPem))[0]!);
    const sanctioned = sanctionedCertificates({ anchors: [...view.anchors], paths: view.certificates.flatMap((c) => (c.path ? [c.path] : [])) });
    return { view, sanctioned, adcs: view.adcs, findings: conclusions.findings, failures: conclusions.ruleFailures, leaf };
  } finally {
    await store.close();
  }
}
