// `pkiscope scan --resume`: a /16 sweep killed with SIGKILL halfway resumes where it stopped.
// Real processes and real listeners: TLS servers in the first, middle and last shards count the
// connections they get, and a silent peer holds the middle shard open so the kill lands there.
// The shards finished before the kill are not probed again; the resumed run is the same run,
// complete, with each endpoint and sighting once.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Server as TlsServer, createServer as createTlsServer } from "node:tls";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSamplePki, identityKeyPem } from "../../fixtures/sample-pki.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runToEnd, spawnCli, waitFor } from "./cli-helpers.js";

const PORT = 44_307;
/** 65,536 addresses on one port in shards of 8,192: shard k is 127.207.(32k).0 – 127.207.(32k+31).255. */
const SHARD_SIZE = 8192;
const TLS_ADDRESSES = ["127.207.0.10", "127.207.100.10", "127.207.200.10", "127.207.255.10"];
/** In shard 4: holds its handshake for the whole timeout, so the scan is inside shard 4 for that long. */
const SILENT_ADDRESS = "127.207.128.20";
const HANDSHAKE_TIMEOUT_MS = 6000;

let dir: string;
const tlsServers: TlsServer[] = [];
const connections = new Map<string, number>();
let silent: Server;
const held: Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-resume-"));
  const urls = { baseUrl: "http://127.207.0.1:1", ocspGood: "http://127.207.0.1:1", ocspRogue: "http://127.207.0.1:1", ocspSlow: "http://127.207.0.1:1", ocspDown: "http://127.207.0.1:1" };
  const healthy = buildSamplePki({ urls }).identities.find((i) => i.name === "healthy-p256")!;
  for (const address of TLS_ADDRESSES) {
    const server = createTlsServer({ key: identityKeyPem(healthy), cert: healthy.chain.map((c) => c.pem).join("") });
    server.on("connection", () => connections.set(address, (connections.get(address) ?? 0) + 1));
    server.on("tlsClientError", () => {});
    server.listen(PORT, address);
    await once(server, "listening");
    tlsServers.push(server);
  }
  silent = createServer((s) => {
    held.push(s);
    s.on("error", () => {});
  });
  silent.listen(PORT, SILENT_ADDRESS);
  await once(silent, "listening");
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await Promise.all([...tlsServers, silent].map((s) => new Promise((r) => s?.close(r))));
  await rm(dir, { recursive: true, force: true });
});

/** Shards of the store's only run marked done, read while the scan writes (WAL readers do not block it). */
function doneShards(db: string): number | undefined {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return reader.prepare("SELECT count(*) FROM run_shards WHERE planned = 1 AND done = 1").pluck().get() as number;
    } finally {
      reader.close();
    }
  } catch {
    return undefined;
  }
}

describe("scan --resume", () => {
  it("finishes a /16 killed halfway without probing the finished shards again", async () => {
    const db = join(dir, "resume.db");
    const scan = spawnCli([
      "scan", "--targets", "127.207.0.0/16", "--ports", String(PORT), "--shard-size", String(SHARD_SIZE),
      "--handshake-timeout", String(HANDSHAKE_TIMEOUT_MS), "--no-fetch", "--no-revocation", "--no-report", "--no-progress", "--db", db,
    ]);
    const exited = runToEnd(scan);
    // Shards 0–3 done and shard 4 waiting on the silent peer: the kill lands in the middle of the sweep.
    await waitFor("the sweep to reach the silent peer's shard", () => {
      const done = doneShards(db);
      return done !== undefined && done >= 4 && held.length > 0 ? done : undefined;
    }, 240_000);
    scan.kill("SIGKILL");
    await exited;
    const atKill = doneShards(db)!;
    expect(atKill).toBe(4);
    const probedBeforeKill = new Map(connections);
    expect(probedBeforeKill.get("127.207.0.10")).toBe(1);
    expect(probedBeforeKill.get("127.207.100.10")).toBe(1);
    expect(probedBeforeKill.get("127.207.200.10")).toBeUndefined();
    expect(probedBeforeKill.get("127.207.255.10")).toBeUndefined();

    const killed = new SqliteStore(db);
    const [run] = await killed.listRuns();
    await killed.close();
    expect(run?.complete).toBe(false);
    expect(run?.finishedAt).toBeNull();

    const resumed = await runToEnd(spawnCli(["scan", "--resume", run!.id.slice(0, 8), "--no-report", "--no-progress", "--db", db]));
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain(`run ${run!.id} resumed: 4 of 8 shards to collect`);
    // Every TLS endpoint was probed exactly once over both processes: none of shards 0–3 again.
    expect(Object.fromEntries(connections)).toEqual(Object.fromEntries(TLS_ADDRESSES.map((a) => [a, 1])));

    const store = new SqliteStore(db);
    try {
      const runs = await store.listRuns();
      expect(runs.map((r) => [r.id, r.complete])).toEqual([[run!.id, true]]);
      expect(runs[0]!.stats).toMatchObject({ interrupted: false, shards: { planned: 8, done: 8 } });
      const contents = await store.loadRun(run!.id);
      const byAddress = new Map(contents.endpoints.map((e) => [e.address, e]));
      expect(contents.endpoints).toHaveLength(TLS_ADDRESSES.length + 1);
      for (const address of TLS_ADDRESSES) expect(byAddress.get(address)?.status).toBe("tls");
      expect(byAddress.get(SILENT_ADDRESS)?.status).toBe("timeout");
      const tlsSightings = contents.sightings.filter((s) => s.source === "tls").map((s) => `${s.location} ${s.position}`);
      expect(new Set(tlsSightings).size).toBe(tlsSightings.length);
      expect(tlsSightings).toHaveLength(TLS_ADDRESSES.length * 2);
    } finally {
      await store.close();
    }

    const again = await runToEnd(spawnCli(["scan", "--resume", run!.id, "--no-report", "--db", db]));
    expect(again.code).toBe(2);
    expect(again.output).toContain("is complete: nothing to resume");
  }, 300_000);
});
