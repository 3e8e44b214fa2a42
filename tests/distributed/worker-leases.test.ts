// Leases of distributed scans, with real processes over the private PostgreSQL (a database of
// its own): a shard that lasts several of its leases (one silent peer on 127.63.2.1, held for a
// long handshake timeout) is kept by the worker scanning it, which renews the lease, and is
// scanned once, though a second worker polls the queue and expires leases every second.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { startSilentPeers } from "../cli/cli-helpers.js";
import { STORE_BACKENDS } from "../store/backends.js";
import { claimsIn, contentsOf, killAll, logsOf, runIdIn, start, worker } from "./processes.js";

const PREFIX = "127.63.1";
const SILENT_PORT = 9444;
/** The long shard: one silent peer held for this long, a few leases of LEASE_SECONDS. */
const LONG_HANDSHAKE_MS = 20_000;
const LEASE_SECONDS = 5;
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let network: SampleNetwork;
let dir: string;
let config: string;
/** The long shard's one silent peer, on an address of its own. */
let slow: Awaited<ReturnType<typeof startSilentPeers>>;
/** The run is judged at this moment. */
const at = new Date().toISOString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-distributed-gaps-"));
  network = await startSampleNetwork({ prefix: PREFIX, port: 9443, workDir: join(dir, "net") });
  slow = await startSilentPeers("127.63.2", 1, SILENT_PORT);
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  long:",
    "    networks:",
    `      - targets: ["127.63.2.1:${SILENT_PORT}"]`,
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "",
  ].join("\n"));
});

afterAll(async () => {
  await slow?.close();
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("distributed scans: leases", () => {
  it("keeps a shard that outlasts its lease several times with the worker scanning it: scanned once, though another worker polls throughout", async () => {
    const db = await postgres.newSpec("distributed_long_shard");
    const accepted = slow.held.length;
    const coordinator = start(["coordinator", "--db", db, "--config", config, "--profile", "long", "--at", at,
      "--handshake-timeout", String(LONG_HANDSHAKE_MS), "--lease-seconds", String(LEASE_SECONDS), "--retry-limit", "5", "--poll-seconds", "1", "--wait"]);
    const workers = [worker(db), worker(db)];
    const processes = [coordinator, ...workers];
    try {
      const [code] = await coordinator.exited;
      expect(code, logsOf(processes)).toBe(0);
      const got = await contentsOf(db, runIdIn(coordinator.log.text)!);
      expect(got.complete).toBe(true);
      expect(got.endpoints).toHaveLength(1);
      expect(got.endpoints[0]).toMatch(/ timeout $/);
      // Held for four leases and more, claimed once, attempted once: the lease was the first claimer's throughout.
      const shard = got.plan!.shards[0]!;
      expect(shard.done).toBe(true);
      expect(shard.tally!.durationMs as number).toBeGreaterThan(LONG_HANDSHAKE_MS - 1000);
      expect(LONG_HANDSHAKE_MS / 1000).toBeGreaterThan(3 * LEASE_SECONDS);
      expect(workers.flatMap((w) => claimsIn(w.log.text)), logsOf(processes)).toEqual(["probes-00000"]);
      expect(shard.attempt).toBe(1);
      expect(slow.held.length - accepted).toBe(1);
      expect(logsOf(processes)).not.toMatch(/lost the lease|abandoned/);
      for (const w of workers) w.child.kill("SIGTERM");
      for (const w of workers) expect((await w.exited)[0], w.log.text).toBe(0);
    } finally {
      killAll(processes);
    }
  }, 120_000);
});
