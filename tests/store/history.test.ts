// The store's history read: for a run, the earlier complete runs that saw one of its endpoints
// serve a certificate, the most recent first-limited and then oldest first, each holding only the
// shared endpoints (leaf and validity) and the findings raised on them. Runs are written through
// the store's own API (createRun with a start time, the recorder, saveAnalysis, finishRun). A store
// with hundreds of unrelated runs still answers quickly. On both stores, SQLite and PostgreSQL.
import { describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import type { Finding } from "../../src/model/types.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { sha256Hex } from "../../src/pki/certificate.js";
import { DEFAULT_HISTORY_RUNS, type Store } from "../../src/store/store.js";
import { STORE_BACKENDS } from "./backends.js";

const DAY = 86_400_000;
const key = generateKeyPair({ kind: "ec", curve: "P-256" });
const leaf = (cn: string, notAfter: string) => {
  const { der } = buildCertificate({
    subject: [["CN", cn]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date(notAfter),
  });
  return { der: Buffer.from(der), sha256: sha256Hex(der) };
};
const first = leaf("a.example.test", "2025-07-01T00:00:00Z");
const renewed = leaf("a.example.test", "2025-10-01T00:00:00Z");
const other = leaf("b.example.test", "2026-01-01T00:00:00Z");

interface RunSpec {
  startedAt: string;
  /** Address → served leaf DER (null: answered, but not with TLS). */
  endpoints: Record<string, Buffer | null>;
  findings?: Pick<Finding, "id" | "ruleId" | "endpoints">[];
  complete?: boolean;
}

/** Writes one run as a scan would: observations through the recorder, then conclusions, then finished. */
async function writeRun(store: Store, spec: RunSpec): Promise<string> {
  const run = await store.createRun({ targets: Object.keys(spec.endpoints), ports: [443], options: {}, startedAt: spec.startedAt });
  const recorder = new ObservationRecorder(store, run.id);
  for (const [address, der] of Object.entries(spec.endpoints)) {
    await recorder.addEndpoint({
      address, port: 443, sni: null, status: der ? "tls" : "not-tls", error: null, tlsVersion: der ? "TLSv1.3" : null, cipher: null,
      chainDer: der ? [der] : [], stapledOcsp: null, observedAt: new Date(Date.parse(spec.startedAt) + 5000).toISOString(), durationMs: 3,
    });
  }
  await recorder.close();
  const findings: Finding[] = (spec.findings ?? []).map((f) => ({
    ...f, category: "reliability", severity: "medium", message: f.ruleId, certificate: null, url: null, evidence: {},
  }));
  await store.saveAnalysis(run.id, { paths: [], anchors: [], crls: [], ocsp: [], anchorCertificates: [], anchorSightings: [] }, {
    findings, ruleFailures: [], ruleOutcomes: [], rules: [], thresholds: {}, pkiscopeVersion: "test", analysedAt: spec.startedAt, validationTime: spec.startedAt, maturity: null, pkic: null,
  });
  await store.finishRun(run.id, spec.complete ?? true, {});
  return run.id;
}

describe.each(STORE_BACKENDS)("store history read ($name)", (backend) => {
  const openStore = async (label: string) => backend.open(await backend.newSpec(label));

  it("holds the earlier complete runs sharing a served endpoint, oldest first, with only what they share", async () => {
    const store = await openStore("shared");
    try {
      const oldest = await writeRun(store, {
        startedAt: "2025-03-01T00:00:00.000Z", endpoints: { "127.0.0.2": first.der, "127.0.0.3": other.der },
        findings: [
          { id: "f-expiring", ruleId: "expiring-soon", endpoints: ["127.0.0.2:443"] },
          { id: "f-both", ruleId: "no-revocation-info", endpoints: ["127.0.0.3:443", "127.0.0.2:443"] },
          { id: "f-elsewhere", ruleId: "self-signed-leaf", endpoints: ["127.0.0.3:443"] },
          { id: "f-crl", ruleId: "crl-stale", endpoints: [] },
        ],
      });
      // Not history: interrupted; another network; the same address answering without TLS.
      await writeRun(store, { startedAt: "2025-03-05T00:00:00.000Z", endpoints: { "127.0.0.2": first.der }, complete: false });
      await writeRun(store, { startedAt: "2025-03-06T00:00:00.000Z", endpoints: { "127.0.0.9": other.der } });
      await writeRun(store, { startedAt: "2025-03-07T00:00:00.000Z", endpoints: { "127.0.0.2": null } });
      const middle = await writeRun(store, { startedAt: "2025-03-08T00:00:00.000Z", endpoints: { "127.0.0.2": first.der } });
      const current = await writeRun(store, {
        startedAt: "2025-03-15T00:00:00.000Z", endpoints: { "127.0.0.2": renewed.der, "127.0.0.4": null },
        findings: [{ id: "f-now", ruleId: "no-revocation-info", endpoints: ["127.0.0.2:443"] }],
      });
      // Later than the current run: never its history.
      await writeRun(store, { startedAt: "2025-03-22T00:00:00.000Z", endpoints: { "127.0.0.2": renewed.der } });

      const history = await store.runHistory(current);
      expect(history.earlier.map((r) => r.id)).toEqual([oldest, middle]);
      expect(history.earlier[0]).toEqual({
        id: oldest, startedAt: "2025-03-01T00:00:00.000Z", finishedAt: expect.any(String),
        // Only the endpoint the current run also has; its leaf and validity from the stored record.
        endpoints: [{ id: "127.0.0.2:443", observedAt: "2025-03-01T00:00:05.000Z", leaf: first.sha256, notBefore: "2025-01-01T00:00:00.000Z", notAfter: "2025-07-01T00:00:00.000Z" }],
        // Findings on it (narrowed to it); none elsewhere, none without endpoints.
        findings: [
          { id: "f-both", ruleId: "no-revocation-info", endpoints: ["127.0.0.2:443"] },
          { id: "f-expiring", ruleId: "expiring-soon", endpoints: ["127.0.0.2:443"] },
        ],
      });
      expect(history.earlier[1]!.findings).toEqual([]);
      // The run itself: its served endpoints only.
      expect(history.run).toMatchObject({
        id: current, startedAt: "2025-03-15T00:00:00.000Z",
        endpoints: [{ id: "127.0.0.2:443", leaf: renewed.sha256, notAfter: "2025-10-01T00:00:00.000Z" }],
        findings: [{ id: "f-now", ruleId: "no-revocation-info", endpoints: ["127.0.0.2:443"] }],
      });
      expect(history.run.endpoints).toHaveLength(1);
      // The first run has no history.
      expect((await store.runHistory(oldest)).earlier).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("keeps the most recent `limit` earlier runs", async () => {
    const store = await openStore("limit");
    try {
      const ids: string[] = [];
      for (let day = 1; day <= 6; day++) {
        ids.push(await writeRun(store, { startedAt: `2025-04-0${day}T00:00:00.000Z`, endpoints: { "127.0.0.2": first.der } }));
      }
      const current = ids[ids.length - 1]!;
      expect((await store.runHistory(current, { limit: 2 })).earlier.map((r) => r.id)).toEqual(ids.slice(3, 5));
      expect((await store.runHistory(current)).earlier.map((r) => r.id)).toEqual(ids.slice(0, 5));
      await expect(store.runHistory("no-such-run")).rejects.toThrow(/no run no-such-run/);
    } finally {
      await store.close();
    }
  });

  // Its speed is measured by the maturity-scoring bench, not here: this checks the selection holds among many runs.
  it("picks the right runs in a store with hundreds of unrelated runs", async () => {
    const store = await openStore("large");
    try {
      const unrelatedRuns = 400;
      // Enough endpoints per run to make each run real; the selection, not the write volume, is under test.
      const endpointsPerRun = 50;
      const start = Date.parse("2024-01-01T00:00:00Z");
      const sweep = (offset: number) =>
        Object.fromEntries(Array.from({ length: endpointsPerRun }, (_, i) => [`127.${offset}.${Math.floor(i / 250)}.${(i % 250) + 1}`, other.der]));
      // A weekly scan of one site interleaved with daily scans of other sites.
      const weekly: string[] = [];
      for (let day = 0; day < unrelatedRuns; day++) {
        await writeRun(store, { startedAt: new Date(start + day * DAY).toISOString(), endpoints: sweep(10 + (day % 50)) });
        if (day % 7 === 0) weekly.push(await writeRun(store, { startedAt: new Date(start + day * DAY + 3600_000).toISOString(), endpoints: sweep(5) }));
      }
      const current = weekly[weekly.length - 1]!;
      const history = await store.runHistory(current);
      expect(history.earlier.map((r) => r.id)).toEqual(weekly.slice(0, -1).slice(-DEFAULT_HISTORY_RUNS));
      expect(history.earlier.every((r) => r.endpoints.length === endpointsPerRun)).toBe(true);
    } finally {
      await store.close();
    }
  }, 300_000);
});
