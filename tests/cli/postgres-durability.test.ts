// Durability of the PostgreSQL store, with a private PostgreSQL this file starts on 127.204.2.1
// and stops under running scans: a scan killed with SIGKILL leaves earlier runs' reports byte for
// byte and the killed run listed incomplete; a database that goes away for a few seconds mid-run
// is waited for and the scan completes with everything; one that stays away ends the scan with one
// clear error naming it (password masked), what was written before still in it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, servePostgres, startPostgres, stopPostgresNow } from "../../fixtures/lib/starttls-servers.js";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { listedRuns, renderedReports, runInProcess, runToEnd, spawnCli, startSilentPeers, waitFor } from "./cli-helpers.js";

const DB_ADDRESS = "127.204.2.1";
const DB_PORT = 5432;
const SILENT_PREFIX = "127.204.4";
const PASSWORD = "durability-S3cret-pw";

let network: SampleNetwork;
let dir: string;
let pgDir: string;
let server: RunningServer | null = null;
let silent: Awaited<ReturnType<typeof startSilentPeers>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-pg-durability-"));
  // Its own directory in /tmp: PostgreSQL runs as its own user, which cannot traverse `dir`.
  pgDir = await mkdtemp(join(tmpdir(), "pkiscope-pg-durability-db-"));
  server = await startPostgres({ dir: pgDir, address: DB_ADDRESS, port: DB_PORT, password: PASSWORD });
  network = await startSampleNetwork({ prefix: "127.204.3", port: 9443, workDir: join(dir, "net") });
  silent = await startSilentPeers(SILENT_PREFIX, 4, 9443);
});

afterAll(async () => {
  await silent?.close();
  await network?.close();
  await server?.stop();
  await Promise.all([dir, pgDir].map((d) => rm(d, { recursive: true, force: true })));
});

const url = (database: string) => `postgres://postgres:${PASSWORD}@${DB_ADDRESS}:${DB_PORT}/${database}`;

async function sql<R>(database: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url(database) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

async function freshDatabase(name: string): Promise<string> {
  await sql("postgres", `CREATE DATABASE ${name}`);
  return url(name);
}

async function completeScan(db: string): Promise<void> {
  const result = await runInProcess([
    "scan", "--targets", network.cidr, "--ports", "9443", "--trust-anchors", network.trustAnchorsPath,
    "--handshake-timeout", "3000", "--db", db, "--no-report",
  ]);
  expect(result.code, result.stderr).toBe(0);
}

/**
 * A scan of the network and the silent peers, as its own process: busy until the peers hang up.
 * The network's own silent service is excluded, so nothing else holds the scan for its timeout.
 */
function slowScan(db: string) {
  const child = spawnCli([
    "scan", "--targets", `${network.cidr},${SILENT_PREFIX}.1-${SILENT_PREFIX}.4`, "--exclude", networkSilentService(), "--ports", "9443",
    "--trust-anchors", network.trustAnchorsPath, "--handshake-timeout", "120000", "--db", db, "--no-report", "--no-fetch",
  ]);
  return { child, ended: runToEnd(child) };
}

const networkSilentService = () => network.endpoints.find((e) => e.status === "timeout")!.address;

/** Endpoints stored per run, by run id. */
async function endpointCounts(database: string): Promise<Map<string, number>> {
  // A new database has no tables until the scan's store migrates it.
  const [table] = await sql<{ name: string | null }>(database, "SELECT to_regclass('public.endpoints')::text AS name");
  if (table?.name === null) return new Map();
  const rows = await sql<{ run_id: string; n: number }>(database, "SELECT run_id, count(*)::int AS n FROM endpoints GROUP BY run_id");
  return new Map(rows.map((r) => [r.run_id, r.n]));
}

/** The scan's run (not one of `earlier`) once it has written endpoints and reached all the silent peers. */
async function slowRunUnderway(database: string, earlier: readonly string[]): Promise<{ id: string; endpoints: number }> {
  const run = await waitFor("the slow run to record endpoints", async () => {
    const found = [...(await endpointCounts(database))].find(([id]) => !earlier.includes(id));
    return found ? { id: found[0], endpoints: found[1] } : undefined;
  });
  await waitFor("the slow run to reach the silent peers", () => (silent.held.length === 4 ? true : undefined));
  return run;
}

const hangUpSilentPeers = () => silent.held.splice(0).forEach((s) => s.destroy());



describe("the PostgreSQL store", () => {
  it("keeps earlier runs byte for byte when a scan is killed with SIGKILL, and lists the killed run incomplete", async () => {
    const db = await freshDatabase("killed");
    await completeScan(db);
    await completeScan(db);
    const earlier = await listedRuns(db);
    expect(earlier.map((r) => r.state)).toEqual(["complete", "complete"]);
    const before = await Promise.all(earlier.map((r) => renderedReports(db, r.id)));

    const { child, ended } = slowScan(db);
    const killed = await slowRunUnderway("killed", earlier.map((r) => r.id));
    child.kill("SIGKILL");
    await ended;
    hangUpSilentPeers();

    expect(await listedRuns(db)).toEqual([...earlier, { id: killed.id, state: "incomplete" }]);
    for (const [i, run] of earlier.entries()) expect(await renderedReports(db, run.id)).toEqual(before[i]);
    expect((await endpointCounts("killed")).get(killed.id)).toBeGreaterThanOrEqual(killed.endpoints);
  });

  it("waits out a database that goes away for a few seconds mid-run, and completes the run with everything", async () => {
    const db = await freshDatabase("outage");
    await completeScan(db);
    const [first] = await listedRuns(db);
    const { ended } = slowScan(db);
    const run = await slowRunUnderway("outage", [first!.id]);

    await stopPostgresNow(pgDir);
    // The peers hang up while the database is away: their endpoints are the next write.
    hangUpSilentPeers();
    await new Promise((r) => setTimeout(r, 3000));
    server = await servePostgres({ dir: pgDir, address: DB_ADDRESS, port: DB_PORT });

    const { code, output } = await ended;
    expect(code, output).toBe(0);
    expect(await listedRuns(db)).toEqual([first, { id: run.id, state: "complete" }]);
    const ids = async (runId: string) =>
      (await sql<{ id: string }>("outage", "SELECT id FROM endpoints WHERE run_id = $1 ORDER BY id", [runId])).map((r) => r.id);
    const silent = [1, 2, 3, 4].map((i) => `${SILENT_PREFIX}.${i}:9443`);
    // Every endpoint once: what the complete run saw, and the silent peers (no batch applied twice).
    const seenByFirst = (await ids(first!.id)).filter((id) => !id.startsWith(`${networkSilentService()}:`));
    expect(await ids(run.id)).toEqual([...seenByFirst, ...silent].sort());
    const [counts] = await sql<{ total: number; once: number }>("outage",
      `SELECT count(*)::int AS total, count(DISTINCT (sha256, source, location, position))::int AS once
       FROM sightings WHERE run_id = $1`, [run.id]);
    expect(counts!.total).toBeGreaterThan(0);
    expect(counts!.total).toBe(counts!.once);
  });

  it("ends the scan with one clear error naming the database when it stays away, keeping what was written", async () => {
    const db = await freshDatabase("gone");
    const { ended } = slowScan(db);
    const run = await slowRunUnderway("gone", []);

    await stopPostgresNow(pgDir);
    const stopped = Date.now();
    hangUpSilentPeers();
    const { code, output } = await ended;
    const waited = Date.now() - stopped;
    server = await servePostgres({ dir: pgDir, address: DB_ADDRESS, port: DB_PORT });

    expect(code, output).toBe(3);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain(PASSWORD);
    const errors = output.split("\n").filter((line) => line.startsWith("error: "));
    expect(errors, output).toHaveLength(1);
    expect(errors[0]).toContain(`postgres://postgres:***@${DB_ADDRESS}:${DB_PORT}/gone`);
    expect(errors[0]).toMatch(/unreachable|connection/i);
    // It was retried for a while (the store's budget is about 12 s), not given up at once.
    expect(waited).toBeGreaterThan(8_000);
    expect(await listedRuns(db)).toEqual([{ id: run.id, state: "incomplete" }]);
    expect((await endpointCounts("gone")).get(run.id)).toBeGreaterThanOrEqual(run.endpoints);
  });
});
