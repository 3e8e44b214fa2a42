// `pkiscope coordinator --resume`, with real processes over the private PostgreSQL (a database of
// its own): a coordinator SIGKILLed while it is still queuing a run's shards (the loopback sample
// network on 127.63.3.0/26 and an empty 127.63.4.0/22 beside it, in shards of four probes, so
// queuing them takes a while) leaves a run that workers collect only in part and never conclude;
// `coordinator --resume RUN --wait` queues the shards the dead one never did, waits, and the run
// ends with exactly the certificates, endpoints, sightings and findings of a single-process scan
// of the same profile, each shard scanned once. A run whose every shard is done but which was
// never concluded (a single-process scan SIGKILLed during its follow-up fetches, which the sample
// network's slow OCSP responders make last a second and more) gets its analysis queued, and a
// worker concludes it without collecting a shard again.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runInProcess } from "../cli/cli-helpers.js";
import { STORE_BACKENDS } from "../store/backends.js";
import { claimsIn, contentsOf, expectSameRun, killAll, logsOf, runIdIn, start, worker } from "./processes.js";

const PREFIX = "127.63.3";
/** Nothing listens here: every probe is refused at once, and the run has many shards to queue. */
const EMPTY_BLOCK = "127.63.4.0/22";
const SHARD_PROBES = 4;
const timeouts = ["--handshake-timeout", "3000", "--connect-timeout", "3000"];
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

let network: SampleNetwork;
let dir: string;
let config: string;
/** Every verdict of both scans is judged at this moment. */
const at = new Date().toISOString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-coordinator-resume-"));
  network = await startSampleNetwork({ prefix: PREFIX, port: 9443, workDir: join(dir, "net") });
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    `      - targets: [${network.cidr}, ${EMPTY_BLOCK}]`,
    `        ports: [${network.port}]`,
    `    files: [{ path: ${network.filesDir} }]`,
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "  sample:",
    "    networks:",
    `      - targets: [${network.cidr}]`,
    `        ports: [${network.port}]`,
    `    files: [{ path: ${network.filesDir} }]`,
    `    trustAnchors: ${network.trustAnchorsPath}`,
    "",
  ].join("\n"));
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

/** How many shard jobs the run's queue holds (none before pg-boss has made its schema). */
async function queuedShards(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pkiscope_queue.job WHERE name LIKE 'pkiscope.shard%'")
    .catch(() => ({ rows: [{ n: 0 }] }));
  return rows[0]!.n;
}

describe("pkiscope coordinator --resume", () => {
  it("picks up a run whose coordinator was killed while queuing its shards: the same certificates and findings as a single-process scan, each shard scanned once", async () => {
    const reference = await postgres.newSpec("resume_reference");
    const single = await runInProcess(["scan", "--config", config, "--profile", "lab", "--db", reference, "--at", at, ...timeouts, "--shard-size", String(SHARD_PROBES), "--no-report"]);
    expect(single.code, single.stderr).toBe(0);
    const expected = await contentsOf(reference, /run (\S+) complete/.exec(single.stderr)![1]!);
    expect(expected.certificates.length).toBeGreaterThan(10);
    expect(expected.findings.length, single.stderr).toBeGreaterThan(5);

    const db = await postgres.newSpec("resume_distributed");
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    const first = start(["coordinator", "--db", db, "--config", config, "--profile", "lab", "--at", at, ...timeouts,
      "--shard-size", String(SHARD_PROBES), "--lease-seconds", "15", "--wait"]);
    const processes = [first];
    try {
      // Killed as soon as its first shard is in the queue (looked for more often than waitFor does).
      const deadline = Date.now() + 60_000;
      while ((await queuedShards(client)) === 0) {
        if (Date.now() > deadline || first.child.exitCode !== null) throw new Error(`no shard queued\n${first.log.text}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      first.child.kill("SIGKILL");
      expect((await first.exited)[1]).toBe("SIGKILL");
      const runId = (await client.query<{ id: string }>("SELECT id FROM runs")).rows.map((r) => r.id);
      expect(runId, first.log.text).toHaveLength(1);
      const queuedBefore = await queuedShards(client);
      const planned = (await contentsOf(db, runId[0]!)).plan!.shards;
      expect(planned).toHaveLength((64 + 1024) / SHARD_PROBES + 1);
      // The premise: the coordinator died before it had queued them all.
      expect(queuedBefore, first.log.text).toBeLessThan(planned.length);

      // Workers collect what was queued and stop there: no worker concludes a run with shards not done.
      const early = [worker(db, ["--idle-exit", "3"]), worker(db, ["--idle-exit", "3"])];
      processes.push(...early);
      for (const w of early) expect((await w.exited)[0], w.log.text).toBe(0);
      const partial = await contentsOf(db, runId[0]!);
      expect(partial.plan!.shards.filter((s) => s.done).length, logsOf(processes)).toBe(queuedBefore);
      expect(logsOf(early)).not.toContain("claimed the analysis");
      expect((await client.query("SELECT finished_at FROM runs WHERE finished_at IS NOT NULL")).rows).toEqual([]);

      const resumed = start(["coordinator", "--db", db, "--resume", runId[0]!, "--lease-seconds", "15", "--poll-seconds", "1",
        "--wait", "--out", join(dir, "resumed-report"), "--format", "json"]);
      const late = [worker(db), worker(db)];
      processes.push(resumed, ...late);
      const [code] = await resumed.exited;
      expect(code, logsOf(processes)).toBe(0);
      expect(runIdIn(resumed.log.text)).toBe(runId[0]);
      const toCollect = planned.length - queuedBefore;
      expect(resumed.log.text).toContain(`${toCollect} of ${planned.length} shards to collect, ${toCollect} of them not queued before`);

      const got = await contentsOf(db, runId[0]!);
      expectSameRun(got, expected);
      // Each shard claimed once in all: the shards the first workers did were not queued again.
      expect(got.plan!.shards.every((s) => s.done && s.attempt === 1)).toBe(true);
      const claims = [...early, ...late].flatMap((w) => claimsIn(w.log.text));
      expect(claims.length, logsOf(processes)).toBe(planned.length);
      expect(new Set(claims).size).toBe(planned.length);
      const report = JSON.parse(await readFile(join(dir, "resumed-report", "report.json"), "utf8")) as { scan: { id: string }; findings: { id: string }[] };
      expect(report.scan.id).toBe(runId[0]);
      expect(report.findings.map((f) => f.id).sort()).toEqual(expected.findings);

      // A concluded run is not picked up again.
      const again = await runInProcess(["coordinator", "--db", db, "--resume", runId[0]!]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`run ${runId[0]} is complete: nothing to resume`);
      for (const w of late) w.child.kill("SIGTERM");
      for (const w of late) expect((await w.exited)[0], w.log.text).toBe(0);
    } finally {
      killAll(processes);
      await client.end();
    }
  }, 300_000);

  it("queues the analysis of a run whose every shard is done: a single-process scan SIGKILLed while it follows up and analyses", async () => {
    const reference = await postgres.newSpec("resume_analysis_reference");
    const single = await runInProcess(["scan", "--config", config, "--profile", "sample", "--db", reference, "--at", at, ...timeouts, "--no-report"]);
    expect(single.code, single.stderr).toBe(0);
    const expected = await contentsOf(reference, /run (\S+) complete/.exec(single.stderr)![1]!);

    const db = await postgres.newSpec("resume_analysis");
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    const scan = start(["scan", "--db", db, "--config", config, "--profile", "sample", "--at", at, ...timeouts, "--no-report"]);
    const processes = [scan];
    try {
      // Killed once every shard is done: the follow-up fetches (slow OCSP responders among them) and the analysis are still to come.
      const allDone = async (): Promise<boolean> => {
        const { rows } = await client.query<{ left: number; n: number }>("SELECT count(*) FILTER (WHERE done = 0)::int AS left, count(*)::int AS n FROM run_shards").catch(() => ({ rows: [{ left: 1, n: 0 }] }));
        return rows[0]!.n > 0 && rows[0]!.left === 0;
      };
      const deadline = Date.now() + 60_000;
      while (!(await allDone())) {
        if (Date.now() > deadline || scan.child.exitCode !== null) throw new Error(`shards not done\n${scan.log.text}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      scan.child.kill("SIGKILL");
      expect((await scan.exited)[1]).toBe("SIGKILL");
      const { rows: runs } = await client.query<{ id: string; finished_at: string | null }>("SELECT id, finished_at FROM runs");
      expect(runs, scan.log.text).toHaveLength(1);
      // The premise: killed before the run was concluded.
      expect(runs[0]!.finished_at, scan.log.text).toBeNull();
      const runId = runs[0]!.id;

      const resumed = start(["coordinator", "--db", db, "--resume", runId.slice(0, 8), "--poll-seconds", "1", "--wait"]);
      const lone = worker(db);
      processes.push(resumed, lone);
      const [code] = await resumed.exited;
      expect(code, logsOf(processes)).toBe(0);
      expect(resumed.log.text).toContain("0 of 2 shards to collect, 0 of them not queued before");
      expect(resumed.log.text).toContain(`run ${runId}: every shard is done; queued its analysis`);
      expect(claimsIn(lone.log.text)).toEqual([]);
      expect(lone.log.text).toContain(`concluded run ${runId}`);
      const got = await contentsOf(db, runId);
      expectSameRun(got, expected);
      expect(got.plan!.shards.every((s) => s.done && s.attempt === 1)).toBe(true);
      lone.child.kill("SIGTERM");
      expect((await lone.exited)[0], lone.log.text).toBe(0);
    } finally {
      killAll(processes);
      await client.end();
    }
  }, 180_000);

  it("takes the run's stored plan: refuses --profile and probe options beside --resume, and a coordinator given neither", async () => {
    const url = "postgres://nobody@127.63.3.250:1/none";
    const withProfile = await runInProcess(["coordinator", "--db", url, "--resume", "latest", "--config", config, "--profile", "lab"]);
    expect(withProfile.code).toBe(2);
    expect(withProfile.stderr).toContain("--resume latest takes the run's stored plan: drop --config");
    const withProbes = await runInProcess(["coordinator", "--db", url, "--resume", "latest", "--handshake-timeout", "100"]);
    expect(withProbes.code).toBe(2);
    expect(withProbes.stderr).toContain("drop --handshake-timeout");
    const neither = await runInProcess(["coordinator", "--db", url]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("give --config and --profile (a run to plan), or --resume RUN");
  });
});
