// A database that is starting up (or recovering after a restart) has its port open but refuses
// sessions with SQLSTATE 57P03. A loopback proxy (127.204.2.3) in front of the test server answers
// the first connections that way, as PostgreSQL does, then forwards the rest: opening the store
// waits it out. A database that stays in that state is reported as one StoreError.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { openStore } from "../../src/store/open.js";
import { STORE_BACKENDS } from "./backends.js";
import { postgresServer } from "../postgres/database.js";
import { type LoopbackProxy, startLoopbackProxy } from "./loopback-proxy.js";

const PROXY_ADDRESS = "127.204.2.3";
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let proxy: LoopbackProxy | undefined;
/** Connections still to be refused as "starting up", and how many were. */
const startingUp = { remaining: 0, refused: 0 };

/** PostgreSQL's ErrorResponse ('E', length, fields) for a server not yet taking sessions. */
function startingUpError(): Buffer {
  const fields = [["S", "FATAL"], ["V", "FATAL"], ["C", "57P03"], ["M", "the database system is starting up"]];
  const body = Buffer.concat([...fields.map(([tag, text]) => Buffer.from(`${tag}${text}\0`)), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

beforeAll(async () => {
  const { host, port } = postgresServer();
  proxy = await startLoopbackProxy(PROXY_ADDRESS, (client, track) => {
    track(client);
    if (startingUp.remaining > 0) {
      startingUp.remaining--;
      // The server reads the startup message, then answers with the error and hangs up.
      client.once("data", () => {
        startingUp.refused++;
        client.end(startingUpError());
      });
      return;
    }
    const server = connect({ host, port });
    track(server);
    client.pipe(server).pipe(client);
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
});

afterAll(async () => {
  await proxy?.close();
});

async function viaProxy(database: string): Promise<string> {
  return proxy!.urlTo(await postgres.newSpec(database));
}

describe("the PostgreSQL store, opened while the database starts up", () => {
  it("waits until the database takes sessions, then opens and works", async () => {
    const url = await viaProxy("starting_up");
    startingUp.remaining = 3;
    startingUp.refused = 0;
    const store = await openStore(url);
    try {
      expect(startingUp.refused).toBe(3);
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      expect((await store.listRuns()).map((r) => r.id)).toContain(run.id);
    } finally {
      await store.close();
    }
  });

  it("reports a database that never finishes starting as one StoreError naming it without its password", async () => {
    const url = await viaProxy("never_up");
    startingUp.remaining = Number.MAX_SAFE_INTEGER;
    startingUp.refused = 0;
    try {
      const opened = openStore(url).then(
        (store) => store.close().then(() => null),
        (err: unknown) => err,
      );
      const err = await opened;
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/unreachable.*starting up/);
      expect((err as Error).message).not.toContain(new URL(url).password);
      // Every pause of the retry budget was taken, not given up at the first refusal.
      expect(startingUp.refused).toBeGreaterThan(3);
    } finally {
      startingUp.remaining = 0;
    }
  }, 60_000);
});
