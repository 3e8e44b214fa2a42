// NIST PKITS (../shared/corpora/pkits) scanned as a user would: `scan --files` over every
// certificate of the suite, every CRL as --crl-file, the PKITS root the only sanctioned anchor,
// nothing fetched. Shared by the path-validation and revocation tests.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_FETCH, DEFAULT_REVOCATION, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import type { CertificateFacts } from "../../src/inventory/inventory.js";
import { silentLogger } from "../../src/log.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

export const PKITS = fileURLToPath(new URL("../../../shared/corpora/pkits", import.meta.url));
const CERTS = join(PKITS, "certs");

export async function scanPkits(dbPath: string): Promise<ScanOutcome> {
  const crlDir = join(PKITS, "crls");
  const crlFiles = (await readdir(crlDir)).sort().map((f) => join(crlDir, f));
  const store = new SqliteStore(dbPath);
  try {
    return await runScan(
      store,
      {
        targetTexts: [], specs: [], ports: [], exclude: [], files: [CERTS], trustAnchors: join(CERTS, "TrustAnchorRootCertificate.crt"), concurrency: 1,
        timeouts: { connectMs: 1000, handshakeMs: 1000 }, thresholds: DEFAULT_THRESHOLDS,
        fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: { ...DEFAULT_REVOCATION, crlFiles },
      },
      { log: silentLogger, signal: new AbortController().signal },
    );
  } finally {
    await store.close();
  }
}

/** expected-by-filename.tsv: each end-entity certificate's file name with Valid, Invalid or policy-dependent. */
export async function pkitsExpectations(): Promise<[file: string, expectation: string][]> {
  return (await readFile(join(PKITS, "expected-by-filename.tsv"), "utf8"))
    .split("\n").slice(1).filter((l) => l.trim() !== "").map((l) => l.split("\t") as [string, string]);
}

/** The inventoried end-entity certificate of a PKITS test file. */
export function pkitsCertificate(outcome: ScanOutcome, file: string): CertificateFacts {
  const facts = outcome.view.certificates.find((c) => c.files.some((p) => p.endsWith(`/${file}`)));
  if (!facts) throw new Error(`${file} was not inventoried`);
  return facts;
}
