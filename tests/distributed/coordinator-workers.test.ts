// Distributed scanning as deployed: `pkiscope coordinator` and `pkiscope worker` as real
// processes over the private PostgreSQL (a database of their own per test), against the loopback
// sample network on 127.206.1.0/26 with a silent peer (accepts, never answers) in every shard, so
// each shard lasts at least a handshake timeout. One of three workers is killed with SIGKILL
// while it holds a shard: the run still completes, that shard is claimed again once its lease
// expires, and the run holds exactly the certificates, endpoints, sightings and findings of a
// single-process `pkiscope scan` of the same profile. A shard of a network with `site: dmz` is
// taken only by a worker started with --site dmz, which SIGTERM lets finish it before exiting;
// any worker concludes the run. A run whose analysis fails on its last try is
// recorded failed, and coordinator --wait exits 3 naming why.
import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, listen, closeServer, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runFailure, runState } from "../../src/model/types.js";
import { openStore } from "../../src/store/open.js";
import { runInProcess, waitFor } from "../cli/cli-helpers.js";
import { STORE_BACKENDS } from "../store/backends.js";
import { claimsIn, contentsOf, expectSameRun, killAll, logsOf, runIdIn, start, worker } from "./processes.js";

const PREFIX = "127.206.1";
/** Addresses per shard: the /26 on two ports is four shards of 32 probes (and the files one more). */
const SHARD_ADDRESSES = 16;
const SILENT_PORT = 9444;
/**
 * Long enough that a shard outlasts the moment its worker is seen holding it and killed, on a
 * loaded machine whose event loops lag by seconds; short enough to keep the test brief.
 */
const HANDSHAKE_MS = 6000;
/** More than a shard takes (its silent peer's handshake timeout), so no live worker loses its lease. */
const LEASE_SECONDS = 15;
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let network: SampleNetwork;
let dir: string;
let config: string;
/** The trust anchors of the profile whose analysis is made to fail (the file is deleted once the run is queued). */
let fragileAnchors: string;
const silentPeers: Server[] = [];
const held: Socket[] = [];
/** Every verdict of both scans is judged at this moment. */
const at = new Date().toISOString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-distributed-"));
  network = await startSampleNetwork({ prefix: PREFIX, port: 9443, workDir: join(dir, "net") });
  // A silent peer in every shard, on the second port (the sample fills most addresses on the first).
  for (let block = 0; block < 64; block += SHARD_ADDRESSES) {
    const silent = createServer((s) => {
      held.push(s);
      s.on("error", () => {});
      s.resume();
    });
    await listen(silent, `${PREFIX}.${block + 3}`, SILENT_PORT);
    silentPeers.push(silent);
  }
  const tls = network.endpoints.filter((e) => e.status === "tls").map((e) => e.address);
  fragileAnchors = join(dir, "fragile-anchors.pem");
  await copyFile(network.trustAnchorsPath, fragileAnchors);
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    `      - targets: [${network.cidr}]`,
    `        ports: [${network.port}, ${SILENT_PORT}]`,
    `    files: [{ path: ${network.filesDir} }]`,
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "  segmented:",
    "    networks:",
    // Two TLS endpoints and a silent peer, each at its own port: the shard lasts a handshake timeout.
    `      - targets: [${[...tls.slice(0, 2).map((a) => `${a}:${network.port}`), `${PREFIX}.3:${SILENT_PORT}`].join(", ")}]`,
    "        site: dmz",
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "  fragile:",
    "    networks:",
    `      - targets: [${tls[0]}]`,
    `        ports: [${network.port}]`,
    `    trustAnchors: ${fragileAnchors}`,
    "  spaced:",
    "    networks:",
    `      - targets: [${tls[0]}]`,
    `        ports: [${network.port}]`,
    '        site: "dmz east"',
    "",
  ].join("\n"));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await Promise.all(silentPeers.map(closeServer));
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const timeouts = ["--handshake-timeout", String(HANDSHAKE_MS), "--connect-timeout", "3000"];

describe("pkiscope coordinator and workers", () => {
  it("completes a run whose worker was killed mid-shard with exactly the single-process scan's certificates and findings", async () => {
    const reference = await postgres.newSpec("distributed_reference");
    const single = await runInProcess(["scan", "--config", config, "--profile", "lab", "--db", reference, "--at", at, ...timeouts, "--no-report"]);
    expect(single.code, single.stderr).toBe(0);
    const referenceRunId = /run (\S+) complete/.exec(single.stderr)![1]!;
    const expected = await contentsOf(reference, referenceRunId);
    expect(expected.certificates.length).toBeGreaterThan(10);
    expect(expected.findings.length, single.stderr).toBeGreaterThan(5);

    const db = await postgres.newSpec("distributed");
    const coordinator = start(["coordinator", "--db", db, "--config", config, "--profile", "lab", "--at", at, ...timeouts,
      "--shard-size", String(SHARD_ADDRESSES * 2), "--lease-seconds", String(LEASE_SECONDS), "--wait", "--out", join(dir, "distributed-report"), "--format", "json"]);
    const workers = [worker(db), worker(db), worker(db)];
    try {
      // The first worker seen holding a probe shard dies, well before its silent peer times out.
      const unfinished = (w: (typeof workers)[number]): string[] =>
        claimsIn(w.log.text).filter((id) => id.startsWith("probes-") && !w.log.text.includes(`finished shard ${id} `));
      const victim = await waitFor("a worker holding a probe shard", () => workers.find((w) => unfinished(w).length > 0), 120_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${logsOf([coordinator, ...workers])}`);
      });
      // Killed once it has claimed that shard in the store too (its attempt is what the survivor's claim supersedes):
      // a loaded machine can take a while between the queue's claim, which the log shows, and the store's.
      const claimedInStore = async (): Promise<true | undefined> => {
        const [rows] = await postgres.sql(db, [{ text: "SELECT attempt FROM run_shards WHERE id = ?", params: [unfinished(victim)[0]] }]) as [{ attempt: number }[]];
        return rows.some((r) => r.attempt >= 1) ? true : undefined;
      };
      await waitFor("the victim's shard claimed in the store", claimedInStore, 30_000);
      victim.child.kill("SIGKILL");
      expect((await victim.exited)[1]).toBe("SIGKILL");
      const survivors = workers.filter((w) => w !== victim);
      const logs = (): string => logsOf([coordinator, ...workers]);
      // The shard it died holding, read from its whole log: a loaded machine may have let it finish
      // the one it was seen with and claim the next before the kill landed.
      const held = unfinished(victim);
      expect(held, logs()).toHaveLength(1);
      const shard = held[0]!;

      const [code] = await coordinator.exited;
      expect(code, logs()).toBe(0);
      const runId = runIdIn(coordinator.log.text)!;
      // The killed worker's shard went to a survivor once its lease expired.
      expect(survivors.flatMap((w) => claimsIn(w.log.text)), logs()).toContain(shard);

      const got = await contentsOf(db, runId);
      expectSameRun(got, expected);
      const report = JSON.parse(await readFile(join(dir, "distributed-report", "report.json"), "utf8")) as { scan: { id: string }; findings: { id: string }[] };
      expect(report.scan.id).toBe(runId);
      expect(report.findings.map((f) => f.id).sort()).toEqual(expected.findings);
      const shards = got.plan!.shards;
      expect(shards.map((s) => s.id)).toEqual(["probes-00000", "probes-00001", "probes-00002", "probes-00003", "sources"]);
      expect(shards.every((s) => s.done)).toBe(true);
      expect(shards.find((s) => s.id === shard)!.attempt).toBeGreaterThanOrEqual(2);
      // One conclusion, by one worker.
      expect(survivors.map((w) => (w.log.text.match(/concluded run/g) ?? []).length).reduce((a, b) => a + b, 0)).toBe(1);

      // The password: in no process's output, no job of the queue.
      const password = new URL(db).password;
      expect(password.length).toBeGreaterThan(8);
      expect([coordinator, ...workers].filter((p) => p.log.text.includes(password))).toEqual([]);
      const jobs = (await postgres.sql(db, [{ text: "SELECT j::text AS row FROM pkiscope_queue.job j UNION ALL SELECT a::text FROM pkiscope_queue.archive a" }]))[0] as { row: string }[];
      expect(jobs.length).toBeGreaterThanOrEqual(6);
      expect(jobs.filter((j) => j.row.includes(password))).toEqual([]);

      // SIGTERM drains a worker: it exits 0.
      for (const w of survivors) w.child.kill("SIGTERM");
      for (const w of survivors) expect((await w.exited)[0], w.log.text).toBe(0);
    } finally {
      killAll([coordinator, ...workers]);
    }
  }, 300_000);

  it("hands a shard that requires a site only to a worker of that site; SIGTERM lets that worker finish it, and any worker concludes the run", async () => {
    const db = await postgres.newSpec("distributed_sites");
    const queued = await runInProcess(["coordinator", "--db", db, "--config", config, "--profile", "segmented", "--at", at, ...timeouts]);
    expect(queued.code, queued.stderr).toBe(0);
    const runId = queued.stdout.trim();

    const anywhere = worker(db, ["--idle-exit", "3"]);
    expect((await anywhere.exited)[0], anywhere.log.text).toBe(0);
    expect(claimsIn(anywhere.log.text)).toEqual([]);
    const pending = await contentsOf(db, runId);
    expect(pending.plan!.shards.map((s) => [s.site, s.done])).toEqual([["dmz", false]]);

    // Told to stop while it holds the shard (its silent peer holds it for a handshake timeout), the dmz worker finishes it and claims nothing more.
    const dmz = worker(db, ["--site", "dmz"]);
    await waitFor("the dmz worker to claim its shard", () => (claimsIn(dmz.log.text).length > 0 ? true : undefined), 60_000);
    dmz.child.kill("SIGTERM");
    expect((await dmz.exited)[0], dmz.log.text).toBe(0);
    expect(claimsIn(dmz.log.text)).toEqual(["probes-00000"]);
    expect(dmz.log.text.indexOf("stopping: claiming nothing more")).toBeGreaterThan(-1);
    expect(dmz.log.text.indexOf("stopping: claiming nothing more")).toBeLessThan(dmz.log.text.indexOf("finished shard probes-00000"));
    expect(dmz.log.text).not.toContain("claimed the analysis");
    expect((await contentsOf(db, runId)).complete).toBe(false);

    // The analysis is any worker's.
    const concluder = worker(db, ["--once"]);
    expect((await concluder.exited)[0], concluder.log.text).toBe(0);
    expect(concluder.log.text).toContain(`concluded run ${runId}`);
    const done = await contentsOf(db, runId);
    expect(done.complete).toBe(true);
    expect(done.endpoints.filter((e) => / tls /.test(e)).length).toBe(2);
  }, 120_000);

  it("records the run failed when its analysis fails on its last try, and coordinator --wait exits 3 saying why", async () => {
    const db = await postgres.newSpec("distributed_failed");
    const coordinator = start(["coordinator", "--db", db, "--config", config, "--profile", "fragile", ...timeouts,
      "--retry-limit", "0", "--poll-seconds", "1", "--wait"]);
    const runId = await waitFor("the run id", () => runIdIn(coordinator.log.text));
    await unlink(fragileAnchors);
    const lone = worker(db, ["--idle-exit", "3"]);
    try {
      expect((await coordinator.exited)[0], coordinator.log.text).toBe(3);
      expect(coordinator.log.text).toContain(fragileAnchors);
      expect((await lone.exited)[0], lone.log.text).toBe(0);
      expect(lone.log.text).toContain(`run ${runId} recorded failed`);
      const store = await openStore(db);
      try {
        const run = (await store.findRun(runId))!;
        expect(runState(run)).toBe("failed");
        expect(runFailure(run)).toContain("its analysis failed on its last try");
      } finally {
        await store.close();
      }
    } finally {
      killAll([coordinator, lone]);
    }
  }, 120_000);

  it("refuses a SQLite store, and a site label no worker could be started with", async () => {
    for (const command of [["coordinator", "--config", config, "--profile", "lab"], ["worker"]]) {
      const result = await runInProcess([...command, "--db", join(dir, "store.db")]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("postgres://");
    }
    // Refused before the store is opened: this URL is never connected to.
    const spaced = await runInProcess(["coordinator", "--config", config, "--profile", "spaced", "--db", "postgres://nobody@127.206.0.1:1/none"]);
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toContain('site label of letters, digits, ".", "_" and "-" (at most 63), not "dmz east"');
    const worker = await runInProcess(["worker", "--site", "dmz east", "--db", "postgres://nobody@127.206.0.1:1/none"]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain("--site takes a site label");
  });
});
