// Issue 13 item 2: every parser the scanner runs on untrusted bytes, fed mutated corpus inputs
// (../shared/corpora certificates, CRLs and OCSP responses, and keystores, TLS flights, STARTTLS
// transcripts and security descriptors built from them): bit flips, byte inserts and deletes,
// DER length-field rewrites, truncation, splices of two inputs, repeats and nesting bombs.
// Properties: nothing escapes but the error type the caller catches, no case hangs (the loop
// runs in a watched child process), and the heap does not grow over the loop. Seeded, so a
// failure reproduces: `npm run fuzz -- --seed 20260613 --runs 30`, and longer with more runs.
import { beforeAll, describe, expect, it } from "vitest";
import { type FuzzReport, runFuzz } from "./supervisor.js";

const SEED = 20260613;
/** Base runs per target (scaled by each target's weight); kept so the file takes well under a minute on a busy 2-core machine. */
const RUNS = 30;
/** Far over the slowest case measured (about 3 s: an encrypted key at the KDF iteration cap on a loaded machine). */
const HANG_MS = 30_000;
/** Heap still in use after a target's loop (after a full GC) beyond what it held before. */
const MAX_HEAP_GROWTH = 16 * 2 ** 20;

/** The parser paths the scanner runs on what servers, files and directories send it. */
const PARSER_PATHS = [
  "certificate", "certificate-revocation-fields", "der-names", "crl", "ocsp", "tls-certificate-message", "aia-body", "pem",
  "private-key-der", "keystores", "security-descriptor", "sid", "adcs-template-decoding",
  ...["smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "postgres", "mysql", "rdp"].map((p) => `starttls-${p}`),
];

let report: FuzzReport;

beforeAll(async () => {
  report = await runFuzz({ seed: SEED, runs: RUNS, targets: null, hangMs: HANG_MS, maxHeapMb: 512 });
}, 300_000);

describe("parser fuzzing over the corpora", () => {
  it("finishes: no case hangs and the child neither crashes nor runs out of its 512 MiB heap", () => {
    expect(report.aborted).toBeNull();
    expect(report.results.map((r) => r.target)).toEqual(PARSER_PATHS);
  });

  it("throws nothing but each parser's documented error type", () => {
    const failures = report.results.filter((r) => r.failure !== null).map((r) => `${r.target}: ${r.failure}`);
    expect(failures).toEqual([]);
    for (const r of report.results) {
      expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0), r.target).toBe(r.runs);
    }
  });

  it("starts from seeds the parsers accept, so mutations reach past the first check", () => {
    // The unmutated seeds run first (fast-check examples); some must parse, or the fuzz tests only a front door.
    for (const r of report.results) {
      expect(r.outcomes.ok ?? 0, `${r.target}: ${JSON.stringify(r.outcomes)}`).toBeGreaterThan(0);
    }
  });

  it("leaves the heap where it found it", () => {
    for (const r of report.results) expect(r.heapGrowthBytes, r.target).toBeLessThan(MAX_HEAP_GROWTH);
  });
});
