// `pkiscope daemon` as a real process on a 2-second schedule against the loopback sample
// network: profiles run again and again into one store, a profile whose scan starts failing
// (its trust anchors vanish) is logged, recorded failed in the store and alerted once while the
// daemon and the other profiles go on, a profile inside its quiet hours never runs,
// --metrics-port answers /metrics with the store's and the daemon's counts; SIGTERM during a slow run
// (a listener that never answers, a 60 s handshake timeout) exits 0 with that run saved
// incomplete, and a later `pkiscope scan --config --profile`, and the daemon started again, work on the same store.
import { once } from "node:events";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import type { AlertBatch } from "../../src/model/alerts.js";
import { profileRecordOf } from "../../src/model/profile.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type RunInfo, runFailure, runState } from "../../src/model/types.js";
import { parsePrometheusText, sampleValue as sample } from "../exporter/prometheus-text.js";
import { runInProcess, spawnCli, waitFor } from "./cli-helpers.js";

const PREFIX = "127.142.0";
const SILENT = "127.142.1.1";
const EVERY_2S = '"*/2 * * * * *"';

let network: SampleNetwork;
let dir: string;
let silent: Server;
const held: Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-daemon-"));
  network = await startSampleNetwork({ prefix: PREFIX, port: 9443, workDir: join(dir, "net") });
  // Accepts TCP and never answers: a scan of it lasts as long as its handshake timeout.
  silent = createServer((s) => {
    held.push(s);
    s.on("error", () => {});
    s.resume();
  });
  silent.listen(network.port, SILENT);
  await once(silent, "listening");
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent?.close(r));
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const tlsAddresses = (n: number): string[] => network.endpoints.filter((e) => e.status === "tls").slice(0, n).map((e) => e.address);

function profileYaml(name: string, targets: string[], extra: string[]): string[] {
  return [`  ${name}:`, "    networks:", `      - targets: [${targets.join(", ")}]`, `        ports: [${network.port}]`, ...extra.map((l) => `    ${l}`)];
}

async function runsOf(db: string): Promise<(RunInfo & { profile: string | null })[]> {
  const store = new SqliteStore(db);
  try {
    return (await store.listRuns()).map((r) => ({ ...r, profile: profileRecordOf(r.options)?.name ?? null }));
  } catch {
    return []; // not created yet
  } finally {
    await store.close();
  }
}

function startDaemon(args: string[]) {
  const child = spawnCli(["daemon", ...args]);
  const log = { text: "" };
  child.stdout.on("data", (d: Buffer) => (log.text += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log.text += d.toString()));
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  return { child, log, exited };
}

const completeOf = (runs: Awaited<ReturnType<typeof runsOf>>, profile: string) => runs.filter((r) => r.profile === profile && r.complete);
const count = (text: string, needle: string): number => text.split(needle).length - 1;

async function batchesIn(into: string): Promise<AlertBatch[]> {
  return Promise.all((await readdir(into)).map(async (f) => JSON.parse(await readFile(join(into, f), "utf8")) as AlertBatch));
}

/** A command sink's argv: node writing the batch from its stdin to a file of its own in `into`. */
function alertRecorder(into: string): string[] {
  const script = `const fs=require("fs");let s="";process.stdin.on("data",d=>s+=d).on("end",()=>fs.writeFileSync(require("path").join(${JSON.stringify(into)},Date.now()+"-"+process.pid+".json"),s))`;
  return [process.execPath, "-e", script];
}

/** A UTC window from an hour ago to an hour from now (it spans midnight when now is near it). */
function windowAroundNow(): string {
  const at = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString().slice(11, 16);
  return `"${at(-3_600_000)}-${at(3_600_000)}"`;
}

describe("pkiscope daemon", () => {
  it("runs profiles on their schedules, survives a failing profile, keeps quiet hours, serves metrics, stops on SIGTERM", async () => {
    const db = join(dir, "schedule.db");
    const fragileAnchors = join(dir, "fragile-anchors.pem");
    await copyFile(network.trustAnchorsPath, fragileAnchors);
    const config = join(dir, "schedule.yaml");
    const alertDir = join(dir, "alerts");
    const fragileAlertDir = join(dir, "fragile-alerts");
    await mkdir(alertDir);
    await mkdir(fragileAlertDir);
    const [a, b] = tlsAddresses(2);
    await writeFile(config, ["profiles:",
      ...profileYaml("lab", [a!, b!], [`trustAnchors: ${network.trustAnchorsPath}`, `schedule: ${EVERY_2S}`,
        `sinks: [{ type: command, argv: ${JSON.stringify(alertRecorder(alertDir))} }]`]),
      ...profileYaml("fragile", [a!], [`trustAnchors: ${fragileAnchors}`, `schedule: ${EVERY_2S}`,
        `sinks: [{ type: command, argv: ${JSON.stringify(alertRecorder(fragileAlertDir))} }]`]),
      ...profileYaml("quiet", [b!], [`trustAnchors: ${network.trustAnchorsPath}`, `schedule: ${EVERY_2S}`,
        "quietHours:", `  window: ${windowAroundNow()}`, "  timezone: UTC"]),
      ...profileYaml("manual", [a!], [`trustAnchors: ${network.trustAnchorsPath}`]),
      ""].join("\n"));
    const daemon = startDaemon(["--config", config, "--db", db, "--metrics-port", "0", "--no-fetch",
      "--connect-timeout", "2000", "--handshake-timeout", "2000"]);
    try {
      const metricsUrl = await waitFor("the metrics address", () => /serving metrics at (http:\S+)/.exec(daemon.log.text)?.[1]);
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

      await waitFor("two complete runs of lab and one of fragile", async () => {
        const runs = await runsOf(db);
        return completeOf(runs, "lab").length >= 2 && completeOf(runs, "fragile").length >= 1 ? true : undefined;
      });

      // The fragile profile's trust anchors vanish: its next scans fail, the daemon goes on.
      await unlink(fragileAnchors);
      const labBefore = completeOf(await runsOf(db), "lab").length;
      await waitFor("two failed runs of fragile", () => (count(daemon.log.text, "profile fragile: run failed") >= 2 ? true : undefined));
      expect(daemon.log.text).toContain(fragileAnchors);
      await waitFor("two more complete runs of lab", async () => (completeOf(await runsOf(db), "lab").length >= labBefore + 2 ? true : undefined));
      expect(daemon.child.exitCode).toBeNull();

      const runs = await runsOf(db);
      expect(runs.filter((r) => r.profile === "quiet")).toEqual([]);
      expect(runs.filter((r) => r.profile === "manual")).toEqual([]);
      expect(daemon.log.text).toMatch(/profile quiet: due inside quiet hours \S+ UTC; skipped/);
      expect(daemon.log.text).not.toContain("profile manual");

      // Each failure is a run in the store: failed, with the error, holding no observations.
      const failedRuns = runs.filter((r) => r.profile === "fragile" && runState(r) === "failed");
      expect(failedRuns.length).toBeGreaterThanOrEqual(2);
      for (const run of failedRuns) expect(runFailure(run)).toContain(fragileAnchors);
      const store = new SqliteStore(db);
      try {
        const contents = await store.loadRun(failedRuns[0]!.id);
        expect([contents.endpoints.length, contents.certificates.length, contents.findings.length]).toEqual([0, 0, 0]);
      } finally {
        await store.close();
      }
      const listing = await runInProcess(["runs", "--db", db]);
      expect(listing.stdout).toContain(`${failedRuns[0]!.id}  ${failedRuns[0]!.startedAt}  failed`);
      // Its sink heard of the first failure only: the later ones failed the same way.
      const fragileBatches = await batchesIn(fragileAlertDir);
      const failedAlerts = fragileBatches.flatMap((batch) => batch.events).filter((e) => e.kind === "run-failed");
      expect(failedAlerts.map((e) => e.run)).toEqual([failedRuns[0]!.id]);
      expect(failedAlerts[0]!.summary).toContain(fragileAnchors);

      const response = await fetch(metricsUrl);
      expect(response.status).toBe(200);
      const families = parsePrometheusText(await response.text());
      const labRuns = families.get("pkiscope_runs_total")!.samples.filter((s) => s.labels.profile === "lab");
      expect(labRuns.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(labBefore + 2);
      expect(sample(families, "pkiscope_runs_total", { profile: "fragile", state: "failed" })).toBeGreaterThanOrEqual(2);
      // The failed runs are not what the fragile series show: those come from its last complete run.
      expect(sample(families, "pkiscope_last_run_success", { profile: "fragile" })).toBe(0);
      expect(families.get("pkiscope_certificate_not_after_seconds")!.samples.some((s) => s.labels.profile === "fragile")).toBe(true);
      // The daemon's own counts, per profile.
      const daemonCount = (what: string, profile: string) => sample(families, `pkiscope_daemon_runs_${what}_total`, { profile });
      const skipped = (profile: string, reason: string) => sample(families, "pkiscope_daemon_runs_skipped_total", { profile, reason });
      expect(daemonCount("failed", "fragile")).toBeGreaterThanOrEqual(2);
      expect(daemonCount("completed", "fragile")).toBeGreaterThanOrEqual(1);
      expect(daemonCount("completed", "lab")).toBeGreaterThanOrEqual(labBefore + 2);
      expect(daemonCount("failed", "lab")).toBe(0);
      for (const profile of ["lab", "fragile"]) {
        // One run of a profile at a time: at most the one in flight is neither completed nor failed.
        const ended = daemonCount("completed", profile) + daemonCount("failed", profile) + daemonCount("interrupted", profile);
        expect(daemonCount("started", profile) - ended).toBeGreaterThanOrEqual(0);
        expect(daemonCount("started", profile) - ended).toBeLessThanOrEqual(1);
      }
      expect(daemonCount("started", "quiet")).toBe(0);
      expect(skipped("quiet", "quiet_hours")).toBeGreaterThanOrEqual(1);
      expect(skipped("lab", "quiet_hours")).toBe(0);
      expect(families.get("pkiscope_daemon_runs_started_total")!.samples.map((s) => s.labels.profile).sort()).toEqual(["fragile", "lab", "quiet"]);

      // The lab profile's command sink got the first run's alerts, and no run alerted twice.
      const batches = await batchesIn(alertDir);
      const firstLab = completeOf(runs, "lab")[0]!;
      const first = batches.find((batch) => batch.run === firstLab.id)!;
      expect(first).toMatchObject({ profile: "lab", previousRun: null });
      expect(first.events.length).toBeGreaterThan(0);
      expect(new Set(batches.map((batch) => batch.run)).size).toBe(batches.length);
    } finally {
      daemon.child.kill("SIGTERM");
    }
    const [code] = await daemon.exited;
    expect(code).toBe(0);
    expect(daemon.log.text).toContain("daemon stopped");
    // Whatever was in flight at SIGTERM was saved; every run is complete or marked incomplete, and readable.
    const store = new SqliteStore(db);
    try {
      for (const run of await store.listRuns()) expect((await store.loadRun(run.id)).run.id).toBe(run.id);
    } finally {
      await store.close();
    }
  }, 240_000);

  it("SIGTERM during a slow run saves it incomplete and exits 0; a later scan --config --profile and the daemon started again work on the store", async () => {
    const db = join(dir, "slow.db");
    const config = join(dir, "slow.yaml");
    const [a] = tlsAddresses(1);
    await writeFile(config, ["profiles:",
      ...profileYaml("slow", [a!, SILENT], [`trustAnchors: ${network.trustAnchorsPath}`, `schedule: ${EVERY_2S}`]),
      ...profileYaml("lab", [a!], [`trustAnchors: ${network.trustAnchorsPath}`]),
      ""].join("\n"));
    const daemon = startDaemon(["--config", config, "--db", db, "--no-fetch", "--handshake-timeout", "60000"]);
    let slowRun: string;
    try {
      // The slow run has recorded the answering endpoint and waits on the silent one.
      slowRun = await waitFor("the slow run to record its first endpoint", async () => {
        for (const run of await runsOf(db)) {
          const store = new SqliteStore(db);
          try {
            if ((await store.loadRun(run.id)).endpoints.some((e) => e.address === a)) return run.id;
          } finally {
            await store.close();
          }
        }
        return undefined;
      });
      // Ticks while it goes on are skipped, not stacked.
      await waitFor("a tick skipped while the slow run goes on", () => (daemon.log.text.includes("profile slow: due, but its previous run is still going; skipped") ? true : undefined));
    } finally {
      daemon.child.kill("SIGTERM");
    }
    const stopAsked = Date.now();
    const [code] = await daemon.exited;
    expect(code).toBe(0);
    // The 60 s handshake was abandoned, not waited for.
    expect(Date.now() - stopAsked).toBeLessThan(30_000);
    expect(daemon.log.text).toContain(`profile slow: run ${slowRun} interrupted: saved incomplete`);

    const runs = await runsOf(db);
    expect(runs.map((r) => r.id)).toEqual([slowRun]);
    expect(runs[0]!.complete).toBe(false);
    const store = new SqliteStore(db);
    try {
      const contents = await store.loadRun(slowRun);
      const silentEndpoint = contents.endpoints.find((e) => e.address === SILENT)!;
      expect(silentEndpoint.status).toBe("error");
      expect(contents.endpoints.find((e) => e.address === a)!.status).toBe("tls");
    } finally {
      await store.close();
    }

    const scan = await runInProcess(["scan", "--config", config, "--profile", "lab", "--db", db, "--no-report", "--no-fetch", "--handshake-timeout", "2000"]);
    expect(scan.code).toBe(0);
    const after = await runsOf(db);
    expect(after).toHaveLength(2);
    expect(completeOf(after, "lab")).toHaveLength(1);

    // The daemon started again on the same store: the slow profile's next run (the silent host
    // dropped from its networks) completes beside the interrupted one.
    await writeFile(config, ["profiles:", ...profileYaml("slow", [a!], [`trustAnchors: ${network.trustAnchorsPath}`, `schedule: ${EVERY_2S}`]), ""].join("\n"));
    const again = startDaemon(["--config", config, "--db", db, "--no-fetch", "--handshake-timeout", "2000"]);
    try {
      await waitFor("a complete run of the restarted daemon", async () => (completeOf(await runsOf(db), "slow").length > 0 ? true : undefined));
    } finally {
      again.child.kill("SIGTERM");
    }
    expect((await again.exited)[0]).toBe(0);
    const resumed = completeOf(await runsOf(db), "slow")[0]!;
    const reopened = new SqliteStore(db);
    try {
      expect((await reopened.loadRun(resumed.id)).endpoints.map((e) => [e.address, e.status])).toEqual([[a, "tls"]]);
      expect((await reopened.findRun(slowRun))!.complete).toBe(false);
    } finally {
      await reopened.close();
    }
  }, 180_000);
});
