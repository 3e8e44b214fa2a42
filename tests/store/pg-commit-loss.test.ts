// A connection lost in COMMIT: the PostgreSQL store cannot tell from the lost connection whether
// its batch committed. A loopback proxy (127.204.2.2) in front of the test server forwards a
// COMMIT, lets the server answer, and then cuts the connection before the answer reaches the
// store. The store retries, finds by the transaction's id that the batch did commit, and does not
// write it again: the rows are there once.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import type { UrlFetchRecord } from "../../src/model/revocation.js";
import type { ObservationBatch } from "../../src/store/store.js";
import { STORE_BACKENDS } from "./backends.js";
import { postgresServer } from "../postgres/database.js";
import { type LoopbackProxy, startLoopbackProxy } from "./loopback-proxy.js";

const PROXY_ADDRESS = "127.204.2.2";
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let proxy: LoopbackProxy | undefined;
/** Armed: the next COMMIT's answer is cut off; counts the cuts made. */
const cutting = { armed: false, cuts: 0 };

beforeAll(async () => {
  const { host, port } = postgresServer();
  proxy = await startLoopbackProxy(PROXY_ADDRESS, (client, track) => {
    const server = connect({ host, port });
    track(client);
    track(server);
    let commitSent = false;
    client.on("data", (chunk: Buffer) => {
      // A simple-protocol Query message ('Q', length, text) carrying COMMIT.
      if (cutting.armed && chunk[0] === 0x51 && chunk.includes("COMMIT\0")) commitSent = true;
      server.write(chunk);
    });
    server.on("data", (chunk: Buffer) => {
      if (!commitSent) return void client.write(chunk);
      // The server has answered the COMMIT: it is done. The store never hears so.
      cutting.armed = false;
      cutting.cuts++;
      client.destroy();
      server.destroy();
    });
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
});

afterAll(async () => {
  await proxy?.close();
});

/** A fetch row: written by a plain INSERT, so a batch applied twice would show twice. */
const fetch = (i: number): UrlFetchRecord => ({
  kind: "aia", fetch: { url: `http://ca.example/${i}.cer`, fetchedAt: "2025-05-01T00:00:00.000Z", error: null, certificates: [] },
});

describe("the PostgreSQL store, its connection lost in COMMIT", () => {
  it("finds the batch committed and does not write it twice", async () => {
    const direct = await postgres.newSpec("commit_loss");
    const store = await openStore(proxy!.urlTo(direct));
    try {
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      const batch: ObservationBatch = {
        endpoints: [], certificates: [], sightings: [], snapshots: [], crlBodies: [], privateKeys: [], fileRecords: [],
        fetches: Array.from({ length: 5 }, (_, i) => fetch(i)),
      };
      cutting.armed = true;
      await store.recordObservations(run.id, batch);
      expect(cutting.cuts).toBe(1);
      const [rows] = await postgres.sql(direct, [{ text: "SELECT data FROM fetches WHERE run_id = ? ORDER BY rowid", params: [run.id] }]);
      expect((rows as { data: string }[]).map((r) => JSON.parse(r.data))).toEqual(batch.fetches.map((f) => f.fetch));
    } finally {
      await store.close();
    }
  });
});
