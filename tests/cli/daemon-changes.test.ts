// Issue 10's acceptance: `pkiscope daemon` as a real process scans a loopback network every four
// seconds while the network changes between its runs: a certificate is renewed early, a rogue CA's
// endpoint appears, an endpoint goes away, and a short-lived certificate expires in service. The
// diffs between the runs, the alerts a real HTTP receiver (checking the HMAC) and a real SMTP
// server (smtp-server, STARTTLS and AUTH) received, and the daemon's metrics are asserted; no
// event alerts twice and the runs that change nothing send nothing.
//
// The changes never race a run: the test makes them while the daemon waits for the receiver to
// answer the first run's alerts (a run of a profile, alerts included, is one at a time, so no run
// starts meanwhile). The expiry needs no such care: the certificate's notAfter falls one second
// before a tick, so the run before it judges the certificate valid and every later one expired.
import { X509Certificate, createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveIdentity } from "../../fixtures/sample-network.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import type { AlertBatch, AlertEvent } from "../../src/model/alerts.js";
import type { RunDiff } from "../../src/model/diff.js";
import { profileRecordOf } from "../../src/model/profile.js";
import type { Finding, RunInfo } from "../../src/model/types.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type HookReceiver, type SmtpReceiver, attachedBatch, days, expectedSignature, issueCertificate, startHookReceiver, startSmtpReceiver } from "../alerts/receivers.js";
import { type MetricFamily, parsePrometheusText, sampleValue as value } from "../exporter/prometheus-text.js";
import { runInProcess, spawnCli, waitFor } from "./cli-helpers.js";

const PORT = 9443;
const ADDRESSES = { web: "127.152.0.2", ops: "127.152.0.3", short: "127.152.0.4", rogue: "127.152.0.5" } as const;
type Name = keyof typeof ADDRESSES;
const endpointOf = (name: Name): string => `${ADDRESSES[name]}:${PORT}`;
const TICK_SECONDS = 4;
/** The short-lived certificate outlives the daemon's start, the first run, the changes and the run after them, with room to spare. */
const SHORT_LIFE_MS = 40_000;
/** The receiver holds the first run's alerts longer than a tick, so the daemon skips a due run as already running. */
const HOLD_MS = TICK_SECONDS * 1000 + 500;
const SECRET = "daemon-hook-secret-41d7";
const SMTP_USER = "daemon-alerts";
const SMTP_PASSWORD = "daemon-smtp-password-9c2e";
const HOOK_PATH = "/hooks/t0ken-5b1";

const sha256 = (c: SampleCertificate): string => createHash("sha256").update(c.der).digest("hex");

let dir: string;
let db: string;
let root: SampleCertificate;
let rogueCa: SampleCertificate;
const certs = {} as Record<"web" | "webRenewed" | "ops" | "short" | "rogue", SampleCertificate>;
const servers = new Map<Name, () => Promise<void>>();
let hooks: HookReceiver;
let smtp: SmtpReceiver;
let daemon: ReturnType<typeof spawnCli>;
let log = "";
let exitCode: number | null;
let metricsUrl: string;
/** The daemon's metrics while it waited on the first run's alerts, the changes made. */
let heldMetrics: Map<string, MetricFamily>;
let finalMetrics: Map<string, MetricFamily>;
let labRuns: RunInfo[];

async function serve(name: Name, leaf: SampleCertificate, issuer: SampleCertificate): Promise<void> {
  servers.set(name, await serveIdentity({ name, description: name, chain: [leaf, issuer], expectedRules: [] }, ADDRESSES[name], PORT));
}
async function stop(name: Name): Promise<void> {
  await servers.get(name)?.();
  servers.delete(name);
}

/** The first whole second at least `ms` from now that falls one second before a tick of the `*\/4` seconds schedule. */
function secondBeforeTick(ms: number): Date {
  let second = Math.ceil((Date.now() + ms) / 1000);
  while (second % TICK_SECONDS !== TICK_SECONDS - 1) second++;
  return new Date(second * 1000);
}

async function completeLabRuns(): Promise<RunInfo[]> {
  const store = new SqliteStore(db);
  try {
    return (await store.listRuns()).filter((r) => r.complete && profileRecordOf(r.options)?.name === "lab");
  } catch {
    return []; // the store is not created yet
  } finally {
    await store.close();
  }
}

async function findingsOf(runId: string): Promise<Finding[]> {
  const store = new SqliteStore(db);
  try {
    return (await store.loadRun(runId)).findings;
  } finally {
    await store.close();
  }
}

async function scrape(): Promise<Map<string, MetricFamily>> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

/** The change made while the daemon waits on the first run's alerts. */
async function changeNetwork(): Promise<void> {
  const held = Date.now();
  await stop("web");
  await serve("web", certs.webRenewed, root);
  await serve("rogue", certs.rogue, rogueCa);
  await stop("ops");
  await sleep(Math.max(0, HOLD_MS - (Date.now() - held)));
  heldMetrics = await scrape();
}

async function diff(args: string[]): Promise<RunDiff> {
  const result = await runInProcess(["diff", "--db", db, "--format", "json", ...args]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as RunDiff;
}

const batchOf = (run: string): AlertBatch | undefined => hooks.received.find((h) => h.batch.run === run)?.batch;
const alertingOpened = (d: RunDiff) => d.findings.opened.filter((f) => f.ruleId !== "expiring-soon" && (f.severity === "critical" || f.severity === "high"));
const ofKind = (batch: AlertBatch, kind: AlertEvent["kind"]) => batch.events.filter((e) => e.kind === kind);
const regressionsIn = (d: RunDiff): string[] => d.maturity.filter((m) => m.from !== null && m.to !== null && m.to < m.from).map((m) => m.category);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-daemon-changes-"));
  db = join(dir, "pkiscope.db");
  root = issueCertificate("Lab Root CA", null, days(3650), undefined, true);
  rogueCa = issueCertificate("Rogue CA", null, days(3650), undefined, true);
  certs.web = issueCertificate("web.lab.test", root, days(300));
  certs.webRenewed = issueCertificate("web.lab.test", root, days(365));
  certs.ops = issueCertificate("ops.lab.test", root, days(300));
  certs.rogue = issueCertificate("shadow.lab.test", rogueCa, days(365));
  const anchors = join(dir, "anchors.pem");
  await writeFile(anchors, root.pem);

  // Only the first batch waits: the others are answered at once.
  hooks = await startHookReceiver({ beforeAnswer: (hook) => (hook === hooks.received[0] ? changeNetwork() : Promise.resolve()) });
  smtp = await startSmtpReceiver(dir, { user: SMTP_USER, password: SMTP_PASSWORD });
  const config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    `      - targets: [${Object.values(ADDRESSES).join(", ")}]`,
    `        ports: [${PORT}]`,
    "        owner: team-lab",
    `    trustAnchors: ${anchors}`,
    "    thresholds:",
    "      expiry-days: 30",
    `    schedule: "*/${TICK_SECONDS} * * * * *"`,
    "    sinks:",
    "      - type: webhook",
    `        url: ${hooks.url(HOOK_PATH)}`,
    "        secretEnv: ALERT_HOOK_SECRET",
    "      - type: email",
    "        smtp:",
    `          host: ${smtp.host}`,
    `          port: ${smtp.port}`,
    "          starttls: true",
    "          userEnv: SMTP_USER",
    "          passwordEnv: SMTP_PASS",
    `          ca: ${smtp.caPath}`,
    "        from: pkiscope@lab.test",
    "        to: [pki-team@lab.test]",
    "",
  ].join("\n"));

  const shortNotAfter = secondBeforeTick(SHORT_LIFE_MS);
  certs.short = issueCertificate("short.lab.test", root, shortNotAfter);
  await serve("web", certs.web, root);
  await serve("ops", certs.ops, root);
  await serve("short", certs.short, root);

  daemon = spawnCli(["daemon", "--config", config, "--db", db, "--metrics-port", "0", "--no-fetch", "--connect-timeout", "2000", "--handshake-timeout", "3000"],
    { ALERT_HOOK_SECRET: SECRET, SMTP_USER, SMTP_PASS: SMTP_PASSWORD });
  daemon.stdout.on("data", (d: Buffer) => (log += d.toString()));
  daemon.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const exited = once(daemon, "exit") as Promise<[number | null]>;
  try {
    metricsUrl = await waitFor("the metrics address", () => /serving metrics at (http:\S+)/.exec(log)?.[1]);
    await waitFor("the alerts of the first two runs", () => (hooks.received.length >= 2 ? true : undefined), 90_000);
    // The run after the expiry alerts it; two more runs after it change nothing.
    const expiredIn = await waitFor("the alert of the expired certificate", () =>
      hooks.received.find((h) => h.batch.events.some((e) => e.ruleId === "expired"))?.batch.run, SHORT_LIFE_MS + 60_000);
    await waitFor("two complete runs after it", async () => {
      const runs = await completeLabRuns();
      return runs.length - runs.findIndex((r) => r.id === expiredIn) > 2 ? true : undefined;
    });
    finalMetrics = await scrape();
  } finally {
    daemon.kill("SIGTERM");
    [exitCode] = await exited;
  }
  // Every run the daemon completed has had its alerts delivered by now: it exits after the runs in flight.
  labRuns = await completeLabRuns();
}, 240_000);

afterAll(async () => {
  if (daemon?.exitCode === null) daemon.kill("SIGKILL");
  for (const close of servers.values()) await close();
  await hooks?.close();
  await smtp?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("pkiscope daemon over a changing network", () => {
  it("stopped on SIGTERM with exit code 0, having run the schedule into one store", () => {
    expect(exitCode).toBe(0);
    expect(log).toContain("daemon stopped");
    expect(labRuns.length).toBeGreaterThanOrEqual(5);
    expect(log).not.toContain("run failed");
  });

  it("diffs the changed network: the early renewal, the rogue CA and its endpoint, the endpoint taken away", async () => {
    const [r0, r1] = labRuns;
    const changes = await diff(["--from", r0!.id, "--to", r1!.id]);
    expect(changes.renewals.map((r) => ({ endpoint: r.endpoint, previous: r.previous, current: r.current }))).toEqual([
      { endpoint: endpointOf("web"), previous: sha256(certs.web), current: sha256(certs.webRenewed) },
    ]);
    // Renewed 300 days before the old certificate's expiry.
    expect(changes.renewals[0]!.leadDays).toBeGreaterThan(299);
    expect(changes.renewals[0]!.leadDays).toBeLessThanOrEqual(300);
    expect(changes.cas.appeared.map((c) => c.subject)).toEqual([expect.stringContaining("CN=Rogue CA")]);
    expect(changes.cas.vanished).toEqual([]);
    expect(changes.endpoints.appeared.map((e) => e.id)).toEqual([endpointOf("rogue")]);
    expect(changes.endpoints.vanished.map((e) => e.id)).toEqual([endpointOf("ops")]);
    expect(changes.certificates.appeared.map((c) => c.sha256).sort()).toEqual([sha256(certs.webRenewed), sha256(certs.rogue)].sort());
    expect(changes.certificates.vanished.map((c) => c.sha256).sort()).toEqual([sha256(certs.web), sha256(certs.ops)].sort());
    expect(changes.expiredInService).toEqual([]);
    expect(changes.findings.opened.some((f) => f.ruleId === "untrusted-issuer" && f.certificate === sha256(certs.rogue))).toBe(true);
  });

  it("diffs the short-lived certificate as expired in service in the run after its notAfter, and nothing else", async () => {
    const expiredIn = labRuns.findIndex((r) => batchOf(r.id)?.events.some((e) => e.ruleId === "expired"));
    const changes = await diff(["--from", labRuns[expiredIn - 1]!.id, "--to", labRuns[expiredIn]!.id]);
    expect(changes.expiredInService.map((e) => ({ endpoint: e.endpoint, certificate: e.certificate }))).toEqual([
      { endpoint: endpointOf("short"), certificate: sha256(certs.short) },
    ]);
    expect(changes.findings.opened.map((f) => [f.ruleId, f.certificate])).toEqual([["expired", sha256(certs.short)]]);
    expect(changes.findings.resolved.map((f) => [f.ruleId, f.certificate])).toEqual([["expiring-soon", sha256(certs.short)]]);
    expect([changes.certificates, changes.cas, changes.endpoints]).toEqual(Array(3).fill({ appeared: [], vanished: [] }));
    expect(changes.renewals).toEqual([]);
  });

  it("diffs nothing between the last two runs (the default pair of pkiscope diff)", async () => {
    const changes = await diff([]);
    expect([changes.from.id, changes.to.id]).toEqual(labRuns.slice(-2).map((r) => r.id));
    expect([changes.certificates, changes.cas, changes.endpoints]).toEqual(Array(3).fill({ appeared: [], vanished: [] }));
    expect([changes.renewals, changes.expiredInService, changes.findings.opened, changes.findings.resolved]).toEqual([[], [], [], []]);
    expect(changes.maturity.every((m) => m.from === m.to)).toBe(true);
  });

  it("alerts the first run's open findings and the certificate past the expiry threshold", async () => {
    const first = batchOf(labRuns[0]!.id)!;
    expect(first.previousRun).toBeNull();
    expect(ofKind(first, "expiry-threshold").map((e) => e.endpoints)).toEqual([[endpointOf("short")]]);
    const open = (await findingsOf(labRuns[0]!.id)).filter((f) => f.severity === "critical" || f.severity === "high");
    expect(ofKind(first, "finding-opened").map((e) => e.finding).sort()).toEqual(open.filter((f) => f.ruleId !== "expiring-soon").map((f) => f.id).sort());
    expect(first.events.every((e) => e.owner === "team-lab" || e.kind === "maturity-regression")).toBe(true);
  });

  it("alerts the changes against the run before: the rogue CA's findings and the endpoint taken away, not the renewal", async () => {
    const changes = await diff(["--from", labRuns[0]!.id, "--to", labRuns[1]!.id]);
    const second = batchOf(labRuns[1]!.id)!;
    expect(second.previousRun).toBe(labRuns[0]!.id);
    expect(ofKind(second, "finding-opened").map((e) => e.finding).sort()).toEqual(alertingOpened(changes).map((f) => f.id).sort());
    expect(ofKind(second, "finding-opened").some((e) => e.ruleId === "untrusted-issuer" && e.endpoints.includes(endpointOf("rogue")))).toBe(true);
    expect(ofKind(second, "endpoint-vanished").map((e) => e.endpoints)).toEqual([[endpointOf("ops")]]);
    // The renewed certificate was replaced, and the ops certificate went with its endpoint: neither is told as vanished.
    expect(ofKind(second, "certificate-vanished")).toEqual([]);
    expect(ofKind(second, "expiry-threshold")).toEqual([]);
    expect(ofKind(second, "maturity-regression").map((e) => e.summary.split(" ")[1])).toEqual(regressionsIn(changes));
  });

  it("alerts the expiry once (with the maturity it cost), and nothing for the runs that changed nothing", async () => {
    const alerted = labRuns.filter((r) => batchOf(r.id) !== undefined).map((r) => r.id);
    const expiredIn = labRuns.findIndex((r) => batchOf(r.id)?.events.some((e) => e.ruleId === "expired"));
    expect(expiredIn).toBeGreaterThanOrEqual(2);
    expect(alerted).toEqual([labRuns[0]!.id, labRuns[1]!.id, labRuns[expiredIn]!.id]);
    const batch = batchOf(labRuns[expiredIn]!.id)!;
    expect(batch.previousRun).toBe(labRuns[expiredIn - 1]!.id);
    expect(ofKind(batch, "finding-opened").map((e) => [e.ruleId, e.certificates])).toEqual([["expired", [sha256(certs.short)]]]);
    const changes = await diff(["--from", labRuns[expiredIn - 1]!.id, "--to", labRuns[expiredIn]!.id]);
    expect(ofKind(batch, "maturity-regression").map((e) => e.summary.split(" ")[1])).toEqual(regressionsIn(changes));
    expect(batch.events.length).toBe(1 + regressionsIn(changes).length);
  });

  it("alerts nothing twice: each event and each run's batch reach each sink once", () => {
    // A maturity regression is about no object: its summary names the category and both levels.
    const keys = hooks.received.flatMap((h) => h.batch.events.map((e) =>
      JSON.stringify([e.kind, e.finding, e.certificates, e.endpoints, e.kind === "maturity-regression" ? e.summary : null])));
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys).size).toBe(keys.length);
    const runs = hooks.received.map((h) => h.batch.run);
    expect(new Set(runs).size).toBe(runs.length);
  });

  it("signs every webhook batch with the secret's HMAC, and mails the same batches over STARTTLS with AUTH", () => {
    for (const h of hooks.received) {
      expect(h.path).toBe(HOOK_PATH);
      expect(h.signature).toBe(expectedSignature(SECRET, h.body));
    }
    expect(smtp.mails.map(attachedBatch)).toEqual(hooks.received.map((h) => h.batch));
    for (const mail of smtp.mails) expect(mail).toMatchObject({ secure: true, user: SMTP_USER });
    for (const secret of [SECRET, SMTP_PASSWORD, "t0ken-5b1"]) expect(log).not.toContain(secret);
  });

  it("counts its runs per profile in the metrics: started, completed, skipped while the previous run was still going", () => {
    // Waiting on the first run's alerts: one run started, none ended, a due run skipped, the store holding one complete run.
    expect(value(heldMetrics, "pkiscope_daemon_runs_started_total", { profile: "lab" })).toBe(1);
    expect(value(heldMetrics, "pkiscope_daemon_runs_completed_total", { profile: "lab" })).toBe(0);
    expect(value(heldMetrics, "pkiscope_daemon_runs_skipped_total", { profile: "lab", reason: "already_running" })).toBeGreaterThanOrEqual(1);
    expect(value(heldMetrics, "pkiscope_runs_total", { profile: "lab", state: "complete" })).toBe(1);
    // Later: every run so far completed (the one in flight aside), none failed, none skipped for quiet hours.
    const started = value(finalMetrics, "pkiscope_daemon_runs_started_total", { profile: "lab" });
    const completed = value(finalMetrics, "pkiscope_daemon_runs_completed_total", { profile: "lab" });
    expect(completed).toBeGreaterThanOrEqual(4);
    expect(started - completed).toBeGreaterThanOrEqual(0);
    expect(started - completed).toBeLessThanOrEqual(1);
    expect(value(finalMetrics, "pkiscope_daemon_runs_failed_total", { profile: "lab" })).toBe(0);
    expect(value(finalMetrics, "pkiscope_daemon_runs_skipped_total", { profile: "lab", reason: "quiet_hours" })).toBe(0);
    const rogue = finalMetrics.get("pkiscope_certificate_not_after_seconds")!.samples.find((s) => s.labels.endpoint === endpointOf("rogue"))!;
    expect(rogue).toMatchObject({ labels: { profile: "lab", owner: "team-lab" }, value: Date.parse(new X509Certificate(certs.rogue.der).validTo) / 1000 });
  });
});
