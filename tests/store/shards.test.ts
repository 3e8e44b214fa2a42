// Runs in shards, on both stores: the plan and shards stored with a run; a claim that discards
// what an earlier claim of the shard wrote; a write or finish under a superseded claim refused;
// and the count of shards still to collect, which the follow-up shard is not part of.
import { describe, expect, it } from "vitest";
import { StaleShardError } from "../../src/errors.js";
import { FOLLOW_UP_SHARD, type EndpointRow, type ObservationBatch, type SightingRow, type StoredCertificate } from "../../src/store/store.js";
import { STORE_BACKENDS } from "./backends.js";

const emptyBatch: ObservationBatch = { endpoints: [], certificates: [], sightings: [], snapshots: [], fetches: [], crlBodies: [], privateKeys: [], fileRecords: [] };
const certificate = (n: number): StoredCertificate => ({
  sha256: n.toString(16).padStart(64, "0"), der: Buffer.from([0x30, 0x03, 0x02, 0x01, n]), record: null, parseError: "not a certificate",
  subjectNameHash: null, issuerNameHash: null, parserVersion: 1,
});
const endpoint = (address: string): EndpointRow => ({
  id: `${address}:443`, address, port: 443, sni: null, status: "tls", error: null, tlsVersion: "TLSv1.3", cipher: null,
  chain: [certificate(1).sha256], stapledOcsp: null, observedAt: "2026-01-01T00:00:00.000Z", durationMs: 2, starttls: null, protocols: null,
});
const sighting = (address: string): SightingRow => ({
  sha256: certificate(1).sha256, source: "tls", location: `${address}:443`, position: 0, observedAt: "2026-01-01T00:00:00.000Z", error: null,
});
const observed = (address: string): ObservationBatch => ({
  ...emptyBatch, certificates: [certificate(1)], endpoints: [endpoint(address)], sightings: [sighting(address)],
  snapshots: [{ kind: "adcs", source: `ldap://${address}`, observedAt: "2026-01-01T00:00:00.000Z", snapshot: { n: 1 } }],
});
const shards = [
  { id: "probes-00000", site: null, spec: { kind: "probes", specs: [] } },
  { id: "probes-00001", site: "dmz", spec: { kind: "probes", specs: [] } },
  { id: "sources", site: null, spec: { kind: "sources" } },
];

describe.each(STORE_BACKENDS)("run shards ($name)", (backend) => {
  it("stores the plan and shards of a run, in order, all pending", async () => {
    const store = await backend.open(await backend.newSpec("shard-plan"));
    try {
      const run = await store.createRun({ targets: ["127.0.0.0/24"], ports: [443], options: {} });
      const other = await store.createRun({ targets: [], ports: [], options: {} });
      await store.saveRunPlan(run.id, { concurrency: 7, ports: [443] }, shards);
      const stored = await store.runPlan(run.id);
      expect(stored?.plan).toEqual({ concurrency: 7, ports: [443] });
      expect(stored?.shards.map((s) => [s.id, s.site, s.spec, s.done, s.attempt, s.tally])).toEqual(shards.map((s) => [s.id, s.site, s.spec, false, 0, null]));
      expect(await store.runPlan(other.id)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it("a new claim discards what the earlier claim wrote; the superseded claim can neither write nor finish", async () => {
    const store = await backend.open(await backend.newSpec("shard-claims"));
    try {
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      await store.saveRunPlan(run.id, {}, shards);
      const first = await store.claimShard(run.id, "probes-00000");
      const kept = await store.claimShard(run.id, "probes-00001");
      await store.recordObservations(run.id, observed("127.0.0.1"), first);
      await store.recordObservations(run.id, observed("127.0.0.2"), kept);
      // Written outside any shard (a run before schema 6 or a hand-built one): never discarded.
      await store.recordObservations(run.id, { ...emptyBatch, endpoints: [endpoint("127.0.0.3")] });

      const second = await store.claimShard(run.id, "probes-00000");
      expect(second.attempt).toBe(first.attempt + 1);
      let seen = await store.loadObservations(run.id);
      expect(seen.endpoints.map((e) => e.address).sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
      expect(seen.sightings.map((s) => s.location)).toEqual(["127.0.0.2:443"]);
      expect(seen.snapshots.map((s) => s.source)).toEqual(["ldap://127.0.0.2"]);

      await expect(store.recordObservations(run.id, observed("127.0.0.9"), first)).rejects.toThrow(StaleShardError);
      await expect(store.finishShard(run.id, first, {})).rejects.toThrow(StaleShardError);
      await store.recordObservations(run.id, observed("127.0.0.1"), second);
      seen = await store.loadObservations(run.id);
      expect(seen.endpoints.map((e) => e.address).sort()).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
      expect(seen.sightings).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it("counts the planned shards not done; the follow-up shard is claimed without being planned", async () => {
    const store = await backend.open(await backend.newSpec("shard-finish"));
    try {
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      await store.saveRunPlan(run.id, {}, shards);
      const counts: number[] = [];
      for (const s of shards) counts.push(await store.finishShard(run.id, await store.claimShard(run.id, s.id), { collectors: { tls: { ok: 1 } } }));
      expect(counts).toEqual([2, 1, 0]);
      const followUp = await store.claimShard(run.id, FOLLOW_UP_SHARD);
      expect(followUp.attempt).toBe(1);
      await store.recordObservations(run.id, observed("127.0.0.5"), followUp);
      expect((await store.claimShard(run.id, FOLLOW_UP_SHARD)).attempt).toBe(2);
      expect((await store.loadObservations(run.id)).endpoints).toEqual([]);
      const stored = await store.runPlan(run.id);
      expect(stored?.shards.map((s) => [s.id, s.done, s.tally])).toEqual(shards.map((s) => [s.id, true, { collectors: { tls: { ok: 1 } } }]));
      // Claiming a done shard again (a worker retrying it) makes it pending until that claim finishes.
      await store.claimShard(run.id, "sources");
      expect((await store.runPlan(run.id))?.shards.filter((s) => !s.done).map((s) => s.id)).toEqual(["sources"]);
    } finally {
      await store.close();
    }
  });
});
