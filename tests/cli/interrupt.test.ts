// Interrupted scans, as real processes: SIGKILL leaves earlier runs intact and the partial run
// marked incomplete with what it had collected; SIGINT finishes a partial run and its reports.
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runInProcess, spawnCli, startSilentPeers, waitFor } from "./cli-helpers.js";

let network: SampleNetwork;
let dir: string;
let silent: Awaited<ReturnType<typeof startSilentPeers>>;
const SILENT_PREFIX = "127.84.1";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-int-"));
  network = await startSampleNetwork({ prefix: "127.84.0", port: 9443, workDir: join(dir, "net") });
  // Silent listeners that keep a slow scan busy for as long as its handshake timeout.
  silent = await startSilentPeers(SILENT_PREFIX, 4, 9443);
});

afterAll(async () => {
  await silent?.close();
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const weak = () => network.endpoints.find((e) => e.identity?.name === "weak-rsa1024")!;

function slowScanArgs(db: string, out: string): string[] {
  return [
    "scan", "--targets", `${weak().address},${SILENT_PREFIX}.1-${SILENT_PREFIX}.4`, "--ports", "9443",
    "--trust-anchors", network.trustAnchorsPath, "--handshake-timeout", "60000", "--db", db, "--out", out, "--no-fetch",
  ];
}

/** The run other than `exceptId`, once it has recorded the weak endpoint. */
async function partialRunWithWeakEndpoint(db: string, exceptId: string | null): Promise<string> {
  return waitFor("the slow run to record its first endpoint", async () => {
    const store = new SqliteStore(db);
    try {
      for (const run of await store.listRuns()) {
        if (run.id === exceptId) continue;
        const contents = await store.loadRun(run.id);
        if (contents.endpoints.some((e) => e.address === weak().address)) return run.id;
      }
      return undefined;
    } finally {
      await store.close();
    }
  });
}

describe("interrupted scans", () => {
  it("SIGKILL keeps earlier runs intact and the partial run marked incomplete", async () => {
    const db = join(dir, "kill.db");
    const first = await runInProcess([
      "scan", "--targets", network.cidr, "--ports", "9443", "--trust-anchors", network.trustAnchorsPath,
      "--handshake-timeout", "800", "--db", db, "--no-report",
    ]);
    expect(first.code).toBe(0);
    const before = new SqliteStore(db);
    const [earlier] = await before.listRuns();
    const earlierContents = await before.loadRun(earlier!.id);
    await before.close();

    const child = spawnCli(slowScanArgs(db, join(dir, "kill-out")));
    const partialId = await partialRunWithWeakEndpoint(db, earlier!.id);
    child.kill("SIGKILL");
    await once(child, "exit");

    const after = new SqliteStore(db);
    try {
      const runs = await after.listRuns();
      expect(runs).toHaveLength(2);
      const again = await after.loadRun(earlier!.id);
      expect(again.run.complete).toBe(true);
      expect(again.findings).toEqual(earlierContents.findings);
      expect(again.endpoints).toEqual(earlierContents.endpoints);
      const partial = await after.loadRun(partialId);
      expect(partial.run.complete).toBe(false);
      expect(partial.run.finishedAt).toBeNull();
      // What was collected before the kill is still there, certificate and all.
      const weakEndpoint = partial.endpoints.find((e) => e.address === weak().address)!;
      expect(weakEndpoint.status).toBe("tls");
      expect(partial.certificates.map((c) => c.sha256)).toContain(weakEndpoint.chain[0]);
    } finally {
      await after.close();
    }
  });

  it("SIGINT stops the probes in flight, analyses what was collected and writes a partial report", async () => {
    const db = join(dir, "int.db");
    const out = join(dir, "int-out");
    const child = spawnCli(slowScanArgs(db, out));
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await partialRunWithWeakEndpoint(db, null);
    const started = Date.now();
    child.kill("SIGINT");
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(130);
    // The 60 s handshakes in flight were abandoned, not waited for.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stderr).toContain("interrupted");
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.scan.complete).toBe(false);
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toContain("weak-key");
    const silent = report.inventory.endpoints.filter((e: { address: string }) => e.address.startsWith(SILENT_PREFIX));
    expect(silent.every((e: { status: string; error: string }) => e.status === "error" && e.error.includes("interrupted"))).toBe(true);
  });
});
