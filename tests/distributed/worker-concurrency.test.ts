// `pkiscope worker --concurrency N`, with real processes over the private PostgreSQL (a database
// of its own): N is the probes in flight within the shard in hand, not shards at once. One worker
// at --concurrency 2 scans a run the coordinator planned at its default 512: the loopback sample
// network on 127.63.9.0/26 is one shard, four silent peers (127.63.8.1-4, accept, never answer)
// another, and at most two of those peers are held at once (a single-process scan at 512 holds
// all four), the worker claims its next shard only once it has finished the one in hand, and the
// run ends with exactly the certificates, endpoints, sightings and findings of the single-process scan.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { type SilentPeers, runInProcess, startSilentPeers } from "../cli/cli-helpers.js";
import { STORE_BACKENDS } from "../store/backends.js";
import { contentsOf, expectSameRun, killAll, logsOf, runIdIn, start, worker } from "./processes.js";

const SILENT_PORT = 9444;
const PEERS = 4;
/** How long a silent peer holds a probe: the shard of peers lasts two of these at --concurrency 2. */
const HANDSHAKE_MS = 3000;
const timeouts = ["--handshake-timeout", String(HANDSHAKE_MS), "--connect-timeout", "3000"];
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let network: SampleNetwork;
let dir: string;
let config: string;
let silent: SilentPeers;
const at = new Date().toISOString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-worker-concurrency-"));
  network = await startSampleNetwork({ prefix: "127.63.9", port: 9443, workDir: join(dir, "net") });
  silent = await startSilentPeers("127.63.8", PEERS, SILENT_PORT);
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    `      - targets: [${network.cidr}]`,
    `        ports: [${network.port}]`,
    `      - targets: [${Array.from({ length: PEERS }, (_, i) => `127.63.8.${i + 1}:${SILENT_PORT}`).join(", ")}]`,
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "",
  ].join("\n"));
});

afterAll(async () => {
  await silent?.close();
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("pkiscope worker --concurrency", () => {
  it("bounds the probes in flight within its shard, one shard at a time, with the single-process scan's results", async () => {
    // 64 probes a shard: the sample network's /26 is one, the silent peers the next.
    const sharding = ["--shard-size", "64"];
    const reference = await postgres.newSpec("concurrency_reference");
    const singleFrom = Date.now();
    const single = await runInProcess(["scan", "--config", config, "--profile", "lab", "--db", reference, "--at", at, ...timeouts, ...sharding, "--no-report"]);
    expect(single.code, single.stderr).toBe(0);
    // All four peers at once: accepted within a fraction of the time each one is held.
    expect(silent.mostAcceptedWithin(HANDSHAKE_MS / 2, singleFrom)).toBe(PEERS);
    const expected = await contentsOf(reference, /run (\S+) complete/.exec(single.stderr)![1]!);
    expect(expected.certificates.length).toBeGreaterThan(10);
    expect(expected.findings.length, single.stderr).toBeGreaterThan(5);

    const db = await postgres.newSpec("concurrency_distributed");
    const distributedFrom = Date.now();
    const coordinator = start(["coordinator", "--db", db, "--config", config, "--profile", "lab", "--at", at, ...timeouts, ...sharding, "--poll-seconds", "1", "--wait"]);
    const lone = worker(db, ["--concurrency", "2"]);
    const processes = [coordinator, lone];
    try {
      const [code] = await coordinator.exited;
      expect(code, logsOf(processes)).toBe(0);
      // Two at a time: the third is accepted only once a held one has timed out.
      expect(silent.mostAcceptedWithin(HANDSHAKE_MS / 2, distributedFrom), logsOf(processes)).toBe(2);
      const got = await contentsOf(db, runIdIn(coordinator.log.text)!);
      expect(got.plan!.shards.map((s) => s.id)).toEqual(["probes-00000", "probes-00001"]);
      // Two rounds of two peers, each held for the handshake timeout.
      expect(got.plan!.shards[1]!.tally!.durationMs as number).toBeGreaterThan(2 * HANDSHAKE_MS - 1000);
      // One shard in hand at a time: each claim follows the finish of the one before.
      const steps = [...lone.log.text.matchAll(/(claimed|finished) shard (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
      expect(steps).toEqual(["claimed probes-00000", "finished probes-00000", "claimed probes-00001", "finished probes-00001"]);
      expectSameRun(got, expected);
      lone.child.kill("SIGTERM");
      expect((await lone.exited)[0], lone.log.text).toBe(0);
    } finally {
      killAll(processes);
    }
  }, 180_000);
});
