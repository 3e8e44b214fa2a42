// What every store promises beyond its reads, on both stores: a run id prefix is matched as text
// (a "%" or "_" in it is no wildcard) and an ambiguous one is refused; a batch is written whole
// or not at all; hostile text (U+0000 in a server's words) is stored, not a failed write; and a
// closed store answers no more.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { EndpointRow, ObservationBatch } from "../../src/store/store.js";
import { STORE_BACKENDS } from "./backends.js";

const emptyBatch: ObservationBatch = { endpoints: [], certificates: [], sightings: [], snapshots: [], fetches: [], crlBodies: [], privateKeys: [], fileRecords: [] };
const endpoint = (address: string, error: string | null = null): EndpointRow => ({
  id: `${address}:443`, address, port: 443, sni: null, status: error ? "error" : "not-tls", error, tlsVersion: null, cipher: null,
  chain: [], stapledOcsp: null, observedAt: "2025-05-01T00:00:00.000Z", durationMs: 1.25, starttls: null, protocols: null,
});

describe.each(STORE_BACKENDS)("store contract ($name)", (backend) => {
  it("matches run id prefixes as text and refuses an ambiguous one", async () => {
    const store = await backend.open(await backend.newSpec("prefix"));
    try {
      const runs = [];
      for (let i = 0; i < 20; i++) runs.push(await store.createRun({ targets: [], ports: [], options: {} }));
      const [one] = runs;
      expect((await store.findRun(one!.id.slice(0, 12)))?.id).toBe(one!.id);
      expect(await store.findRun("%")).toBeNull();
      expect(await store.findRun("_")).toBeNull();
      expect(await store.findRun(`${one!.id.slice(0, 4)}%`)).toBeNull();
      // Twenty random UUIDs: some two share their first hex digit.
      const firstDigits = runs.map((r) => r.id[0]!);
      const shared = firstDigits.find((d, i) => firstDigits.indexOf(d) !== i)!;
      await expect(store.findRun(shared)).rejects.toThrow(UsageError);
      expect((await store.findRun("latest"))?.id).toBe(runs[runs.length - 1]!.id);
    } finally {
      await store.close();
    }
  });

  it("writes a batch whole or not at all", async () => {
    const store = await backend.open(await backend.newSpec("atomic"));
    try {
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      await store.recordObservations(run.id, { ...emptyBatch, endpoints: [endpoint("127.0.0.2")] });
      // A sighting of a certificate the store does not hold breaks the batch's foreign key.
      const broken: ObservationBatch = {
        ...emptyBatch, endpoints: [endpoint("127.0.0.3")],
        sightings: [{ sha256: "00".repeat(32), source: "file", location: "/x.pem", position: null, observedAt: "2025-05-01T00:00:00.000Z", error: null }],
      };
      await expect(store.recordObservations(run.id, broken)).rejects.toThrow();
      const observed = await store.loadObservations(run.id);
      expect(observed.endpoints.map((e) => e.id)).toEqual(["127.0.0.2:443"]);
      expect(observed.sightings).toEqual([]);
      // An endpoint recorded again replaces the earlier row and reads last, as INSERT OR REPLACE leaves it.
      await store.recordObservations(run.id, { ...emptyBatch, endpoints: [endpoint("127.0.0.4"), endpoint("127.0.0.2", "reset")] });
      const again = await store.loadObservations(run.id);
      expect(again.endpoints.map((e) => [e.id, e.error])).toEqual([["127.0.0.4:443", null], ["127.0.0.2:443", "reset"]]);
      expect(again.endpoints[0]!.durationMs).toBe(1.25);
    } finally {
      await store.close();
    }
  });

  it("stores U+0000 in untrusted text instead of failing the write", async () => {
    const store = await backend.open(await backend.newSpec("nul"));
    try {
      const run = await store.createRun({ targets: ["a\u0000b"], ports: [], options: {} });
      await store.recordObservations(run.id, { ...emptyBatch, endpoints: [endpoint("127.0.0.5", "banner \u0000 end")] });
      const [stored] = (await store.loadObservations(run.id)).endpoints;
      // SQLite keeps the character; PostgreSQL's text cannot, and holds U+FFFD in its place.
      expect(stored!.error).toBe(backend.name === "sqlite" ? "banner \u0000 end" : "banner \uFFFD end");
      expect((await store.findRun(run.id))?.targets).toEqual(["a\u0000b"]);
    } finally {
      await store.close();
    }
  });

  it("answers no more once closed", async () => {
    const store = await backend.open(await backend.newSpec("closed"));
    await store.close();
    await expect(store.listRuns()).rejects.toThrow();
  });
});
