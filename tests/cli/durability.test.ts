// Durability of the SQLite store, as real processes and a real filesystem: a scan killed with
// SIGKILL leaves a store that opens cleanly, earlier runs' reports byte for byte as before and the
// killed run listed incomplete; a store on a full disk (a 2 MiB tmpfs this file mounts) fails the
// scan with one clear error, keeps earlier runs readable and takes a new run once space is freed;
// a report written to a full disk fails as clearly and leaves no partial file behind.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { listedRuns, renderedReports, runInProcess, runToEnd, spawnCli, startSilentPeers, waitFor } from "./cli-helpers.js";

let network: SampleNetwork;
let dir: string;
let disk: string;
let mounted = false;
let silent: Awaited<ReturnType<typeof startSilentPeers>>;
const SILENT_PREFIX = "127.204.1";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-durability-"));
  network = await startSampleNetwork({ prefix: "127.204.0", port: 9443, workDir: join(dir, "net") });
  silent = await startSilentPeers(SILENT_PREFIX, 4, 9443);
  disk = join(dir, "disk");
  await mkdir(disk);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk]);
  mounted = true;
});

afterAll(async () => {
  if (mounted) execFileSync("umount", [disk]);
  await silent?.close();
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const scanArgs = (db: string, ...extra: string[]) => [
  "scan", "--targets", network.cidr, "--ports", "9443", "--trust-anchors", network.trustAnchorsPath,
  "--handshake-timeout", "3000", "--db", db, "--no-report", ...extra,
];

/**
 * A scan of the network and the silent peers, as its own process: busy until the peers hang up.
 * The network's own silent service is excluded, so nothing else holds the scan for its timeout.
 */
function slowScan(db: string) {
  return spawnCli([
    "scan", "--targets", `${network.cidr},${SILENT_PREFIX}.1-${SILENT_PREFIX}.4`, "--exclude", networkSilentService(), "--ports", "9443",
    "--trust-anchors", network.trustAnchorsPath, "--handshake-timeout", "60000", "--db", db, "--no-report", "--no-fetch",
  ]);
}

const networkSilentService = () => network.endpoints.find((e) => e.status === "timeout")!.address;

async function completeScan(db: string): Promise<void> {
  const result = await runInProcess(scanArgs(db));
  expect(result.code, result.stderr).toBe(0);
}



/** A scan fails cleanly: exit 3, one error record naming the problem, no stack frame. */
function expectOneClearError(result: { code: number; stderr: string }, ...mentions: string[]): void {
  expect(result.code, result.stderr).toBe(3);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
  expect(errors, result.stderr).toHaveLength(1);
  for (const m of mentions) expect(errors[0]).toContain(m);
}

/** Read-only, as another process would look: a run other than `except` that has recorded endpoints. */
function runWithEndpoints(db: string, except: readonly string[]): string | undefined {
  const reader = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const row = reader.prepare(
      "SELECT r.id FROM runs r JOIN endpoints e ON e.run_id = r.id WHERE r.id NOT IN (SELECT value FROM json_each(?)) LIMIT 1",
    ).get(JSON.stringify(except)) as { id: string } | undefined;
    return row?.id;
  } finally {
    reader.close();
  }
}

/** Fills the tmpfs: a filler file written until the filesystem refuses another byte. */
async function fillDisk(): Promise<string> {
  const filler = join(disk, "filler");
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
  } catch {
    // dd exits non-zero once the disk is full: that is the point.
  }
  const free = execFileSync("df", ["--output=avail", "-B1", disk]).toString().trim().split("\n")[1]!.trim();
  expect(Number(free)).toBe(0);
  return filler;
}

describe("a scan killed with SIGKILL", () => {
  it("leaves the store intact: earlier runs' reports byte for byte, the killed run listed incomplete", async () => {
    const db = join(dir, "kill.db");
    await completeScan(db);
    await completeScan(db);
    const earlier = await listedRuns(db);
    expect(earlier.map((r) => r.state)).toEqual(["complete", "complete"]);
    const before = await Promise.all(earlier.map((r) => renderedReports(db, r.id)));

    const child = slowScan(db);
    // Polled read-only, as another process would: the third run once it has written endpoints.
    const killedId = await waitFor("the third run to record endpoints", () => runWithEndpoints(db, earlier.map((r) => r.id)));
    child.kill("SIGKILL");
    await once(child, "exit");

    const check = new Database(db, { fileMustExist: true });
    try {
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
      const recorded = check.prepare("SELECT COUNT(*) FROM endpoints WHERE run_id = ?").pluck().get(killedId) as number;
      expect(recorded).toBeGreaterThan(0);
    } finally {
      check.close();
    }
    expect(await listedRuns(db)).toEqual([...earlier, { id: killedId, state: "incomplete" }]);
    for (const [i, run] of earlier.entries()) expect(await renderedReports(db, run.id)).toEqual(before[i]);
    // The killed run still renders what it had collected, and says it is not complete.
    const partial = JSON.parse((await runInProcess(["report", "--db", db, "--run", killedId, "--format", "json"])).stdout);
    expect(partial.scan.complete).toBe(false);
  });
});

describe("a store on a full disk", () => {
  it("stops the scan that fills it with one clear error, refuses the next as clearly, and takes a new run once space is freed", async () => {
    const db = join(disk, "store.db");
    await completeScan(db);
    const [first] = await listedRuns(db);
    const before = await renderedReports(db, first!.id);

    // A scan that has written its first endpoints (its store open, its WAL growing), waiting on the silent peers.
    silent.held.splice(0).forEach((s) => s.destroy());
    const child = slowScan(db);
    const ended = runToEnd(child);
    await waitFor("the second run to record endpoints", () => runWithEndpoints(db, [first!.id]));
    await waitFor("the scan to reach the silent peers", () => (silent.held.length === 4 ? true : undefined));
    const filler = await fillDisk();
    try {
      // The peers hang up: their endpoints are the next write, onto the full disk.
      silent.held.splice(0).forEach((s) => s.destroy());
      const { code, output } = await ended;
      expectOneClearError({ code: code ?? -1, stderr: output }, db, "disk holding it is full");
      // With the disk still full, the next scan cannot even open the store, and says why.
      expectOneClearError(await runInProcess(scanArgs(db)), db, "disk holding it is full");
    } finally {
      await rm(filler);
    }

    const check = new Database(db, { fileMustExist: true });
    try {
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      check.close();
    }
    expect(await renderedReports(db, first!.id)).toEqual(before);
    await completeScan(db);
    const runs = await listedRuns(db);
    expect(runs.map((r) => r.state)).toEqual(["complete", "incomplete", "complete"]);
    expect(runs[0]).toEqual(first);
    await rm(db);
  });

  it("fails a report written there with one clear error and leaves the earlier report, and no partial file", async () => {
    const db = join(dir, "report-source.db");
    await completeScan(db);
    const out = join(disk, "report");
    await mkdir(out);
    const earlier = "{\"earlier\": true}\n";
    await writeFile(join(out, "report.json"), earlier);
    const filler = await fillDisk();
    try {
      const failed = await runInProcess(["report", "--db", db, "--run", "latest", "--out", out, "--format", "json,html"]);
      expectOneClearError(failed, out, "disk is full");
      expect(await readdir(out)).toEqual(["report.json"]);
      expect(await readFile(join(out, "report.json"), "utf8")).toBe(earlier);
    } finally {
      await rm(filler);
    }
  });
});
