// pkiscope alert over real loopback scans of one profile into one store, with real sinks: an HTTP
// receiver that checks the HMAC (and refuses the first attempt with 503), a second receiver routed
// to one owner, an SMTP server (smtp-server) that requires STARTTLS and AUTH, and a command that
// appends its stdin to a file. Between the runs the network changes: a weak-key endpoint appears
// and an endpoint goes away; a run with no change alerts nothing; the weak endpoint goes and comes
// back, and its findings alert again. Expected events come from each scan's own findings.
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { serveIdentity } from "../../fixtures/sample-network.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import { runCli } from "../../src/cli/index.js";
import type { AlertBatch, AlertEvent } from "../../src/model/alerts.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type HookReceiver, type SmtpReceiver, attachedBatch, days, expectedSignature, issueCertificate as issue, startHookReceiver, startSmtpReceiver } from "./receivers.js";

const PORT = 9443;
const ADDRESSES = { web: "127.123.0.2", ops: "127.123.0.3", weak: "127.123.0.4", expiring: "127.123.0.5" } as const;
type Name = keyof typeof ADDRESSES;
const endpointOf = (name: Name) => `${ADDRESSES[name]}:${PORT}`;
const SECRET = "hook-secret-6f1c0d9e";
const SMTP_USER = "alerts-user";
const SMTP_PASSWORD = "smtp-password-a83b27";
/** A variable that is no secret of the profile's: the command sink's child inherits it. */
const NOT_SECRET = { PKISCOPE_TEST_MARKER: "inherited" };
const ENV = { ALERT_HOOK_SECRET: SECRET, SMTP_USER, SMTP_PASS: SMTP_PASSWORD, ...NOT_SECRET };

let dir: string;
let db: string;
let config: string;
let commandOut: string;
/** The environment each command sink child saw, a JSON line per run. */
let commandEnvOut: string;
let root: SampleCertificate;
const leaves = {} as Record<Name, SampleCertificate>;
const servers = new Map<Name, () => Promise<void>>();
let hookAttempts = 0;
let hookServer: HookReceiver;
let hooks: HookReceiver["received"];
let smtp: SmtpReceiver;
let mails: SmtpReceiver["mails"];
const output: string[] = [];

async function serve(name: Name): Promise<void> {
  servers.set(name, await serveIdentity({ name, description: name, chain: [leaves[name], root], expectedRules: [] }, ADDRESSES[name], PORT));
}
async function stop(name: Name): Promise<void> {
  await servers.get(name)?.();
  servers.delete(name);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => output.push(d.toString()));
  const code = await runCli(args, { stdout, stderr, env: ENV });
  output.push(out);
  return { code, stdout: out };
}

interface RunResult { run: string; previousRun: string | null; events: AlertEvent[]; deliveries: { sink: string; delivered: boolean; attempts: number; events: number }[] }

/** Scans the profile, then alerts for that run; returns what pkiscope alert reported. */
async function scanAndAlert(): Promise<RunResult> {
  const scan = await cli(["scan", "--config", config, "--profile", "lab", "--handshake-timeout", "5000", "--connect-timeout", "2000", "--db", db, "--no-report", "-q"]);
  expect(scan.code).toBe(0);
  const alert = await cli(["alert", "--config", config, "--profile", "lab", "--db", db]);
  expect(alert.code).toBe(0);
  return JSON.parse(alert.stdout) as RunResult;
}

async function commandBatches(): Promise<AlertBatch[]> {
  const text = await readFile(commandOut, "utf8").catch(() => "");
  return text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as AlertBatch);
}

async function findingsOf(runId: string) {
  const store = new SqliteStore(db);
  try {
    return (await store.loadRun(runId)).findings;
  } finally {
    await store.close();
  }
}

const runs: RunResult[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-alerts-"));
  db = join(dir, "alerts.db");
  commandOut = join(dir, "command.jsonl");
  commandEnvOut = join(dir, "command-env.jsonl");
  root = issue("Alerts Root CA", null, days(3650), undefined, true);
  leaves.web = issue("web.alerts.test", root, days(300));
  leaves.ops = issue("ops.alerts.test", root, days(300));
  leaves.weak = issue("weak.alerts.test", root, days(300), generateKeyPair({ kind: "rsa", bits: 1024 }));
  leaves.expiring = issue("expiring.alerts.test", root, days(10));
  const anchors = join(dir, "anchors.pem");
  await writeFile(anchors, root.pem);

  // Every second delivery to /all is first refused: the sink must retry.
  hookServer = await startHookReceiver({ refuse: (path) => (path === "/all/t0ken" && hookAttempts++ % 2 === 0 ? 503 : null) });
  hooks = hookServer.received;
  smtp = await startSmtpReceiver(dir, { user: SMTP_USER, password: SMTP_PASSWORD });
  mails = smtp.mails;

  const script = join(dir, "record.mjs");
  await writeFile(script, `import { appendFileSync } from "node:fs";\nlet s = "";\nprocess.stdin.on("data", (d) => (s += d));\nprocess.stdin.on("end", () => appendFileSync(process.argv[2], s + "\\n"));\n` +
    `appendFileSync(process.argv[3], JSON.stringify(process.env) + "\\n");\n`);

  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  lab:",
    "    networks:",
    "      - name: web",
    `        targets: [${ADDRESSES.web}, ${ADDRESSES.weak}, ${ADDRESSES.expiring}]`,
    `        ports: [${PORT}]`,
    "        owner: team-web",
    "        tags: [prod]",
    "      - name: ops",
    `        targets: [${ADDRESSES.ops}]`,
    `        ports: [${PORT}]`,
    "        owner: team-ops",
    "        tags: [internal]",
    `    trustAnchors: ${anchors}`,
    "    thresholds:",
    "      expiry-days: 30",
    "    sinks:",
    "      - type: webhook",
    `        url: ${hookServer.url("/all/t0ken")}`,
    "        secretEnv: ALERT_HOOK_SECRET",
    "      - type: webhook",
    `        url: ${hookServer.url("/ops")}`,
    "        secretEnv: ALERT_HOOK_SECRET",
    "        owners: [team-ops]",
    "      - type: email",
    "        smtp:",
    "          host: 127.0.0.1",
    `          port: ${smtp.port}`,
    "          starttls: true",
    "          userEnv: SMTP_USER",
    "          passwordEnv: SMTP_PASS",
    `          ca: ${smtp.caPath}`,
    "        from: pkiscope@alerts.test",
    "        to: [pki-team@alerts.test]",
    "        tags: [prod]",
    "      - type: command",
    `        argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, ${JSON.stringify(commandOut)}, ${JSON.stringify(commandEnvOut)}]`,
    "",
  ].join("\n"));

  await serve("web");
  await serve("ops");
  await serve("expiring");
  runs.push(await scanAndAlert()); // 0: first run of the profile
  await serve("weak");
  await stop("ops");
  runs.push(await scanAndAlert()); // 1: weak appeared, ops vanished
  runs.push(await scanAndAlert()); // 2: nothing changed
  await stop("weak");
  runs.push(await scanAndAlert()); // 3: weak's findings resolved
  await serve("weak");
  runs.push(await scanAndAlert()); // 4: and reopened
}, 240_000);

afterAll(async () => {
  for (const close of servers.values()) await close();
  await hookServer?.close();
  await smtp?.close();
  await rm(dir, { recursive: true, force: true });
});

const kinds = (r: RunResult) => r.events.map((e) => e.kind);
const alertingIds = async (runId: string, endpoint: string) =>
  (await findingsOf(runId)).filter((f) => f.endpoints.includes(endpoint) && (f.severity === "critical" || f.severity === "high")).map((f) => f.id).sort();

describe("pkiscope alert", () => {
  it("alerts the first run's open critical and high findings and the certificate past the expiry threshold", async () => {
    const [first] = runs;
    expect(first!.previousRun).toBeNull();
    const expiry = first!.events.filter((e) => e.kind === "expiry-threshold");
    expect(expiry.map((e) => e.endpoints)).toEqual([[endpointOf("expiring")]]);
    expect(expiry[0]!.owner).toBe("team-web");
    expect(expiry[0]!.tags).toEqual(["prod"]);
    const expected = (await findingsOf(first!.run)).filter((f) => f.severity === "critical" || f.severity === "high").map((f) => f.id).sort();
    expect(first!.events.filter((e) => e.kind === "finding-opened").map((e) => e.finding).sort()).toEqual(expected);
    expect(kinds(first!).every((k) => k === "finding-opened" || k === "expiry-threshold")).toBe(true);
  });

  it("alerts a new weak-key endpoint's findings and the vanished endpoint, against the previous run", async () => {
    const second = runs[1]!;
    expect(second.previousRun).toBe(runs[0]!.run);
    const weak = await alertingIds(second.run, endpointOf("weak"));
    expect(weak.length).toBeGreaterThan(0);
    expect((await findingsOf(second.run)).some((f) => f.ruleId === "weak-key" && f.endpoints.includes(endpointOf("weak")))).toBe(true);
    expect(second.events.filter((e) => e.kind === "finding-opened").map((e) => e.finding).sort()).toEqual(weak);
    const vanished = second.events.filter((e) => e.kind === "endpoint-vanished");
    expect(vanished.map((e) => ({ endpoint: e.endpoints[0], owner: e.owner }))).toEqual([{ endpoint: endpointOf("ops"), owner: "team-ops" }]);
    // The ops leaf went with its endpoint: one event, not two; nothing about the unchanged endpoints.
    expect(kinds(second).filter((k) => k === "certificate-vanished")).toEqual([]);
    expect(second.events.some((e) => e.endpoints.includes(endpointOf("web")) || e.endpoints.includes(endpointOf("expiring")))).toBe(false);
  });

  it("alerts nothing twice: a run that changes nothing has no events and sends nothing", () => {
    expect(runs[2]!.previousRun).toBe(runs[1]!.run);
    expect(runs[2]!.events).toEqual([]);
    expect(runs[2]!.deliveries).toEqual([]);
    const deliveredRuns = [...hooks.map((h) => h.batch.run)];
    expect(deliveredRuns).not.toContain(runs[2]!.run);
  });

  it("alerts a finding again after it was resolved and reopened", async () => {
    expect(runs[3]!.events.filter((e) => e.kind === "finding-opened")).toEqual([]);
    expect(runs[3]!.events.map((e) => e.endpoints)).toContainEqual([endpointOf("weak")]);
    const reopened = runs[4]!.events.filter((e) => e.kind === "finding-opened").map((e) => e.finding).sort();
    expect(reopened).toEqual(await alertingIds(runs[1]!.run, endpointOf("weak")));
  });

  it("delivers every batch to the webhook signed with the secret, after retrying a 503", () => {
    const all = hooks.filter((h) => h.path === "/all/t0ken");
    const runsWithEvents = runs.filter((r) => r.events.length > 0).map((r) => r.run);
    expect(all.map((h) => h.batch.run)).toEqual(runsWithEvents);
    for (const h of hooks) {
      expect(h.signature).toBe(expectedSignature(SECRET, h.body));
    }
    expect(hookAttempts).toBe(2 * all.length);
    for (const r of runs.filter((x) => x.events.length > 0)) {
      expect(r.deliveries.find((d) => d.sink === "webhook" && d.events === r.events.length)).toMatchObject({ delivered: true, attempts: 2 });
      expect(all.find((h) => h.batch.run === r.run)!.batch.events).toEqual(r.events);
    }
  });

  it("routes by owner and tag: the ops webhook gets only team-ops events, the email only prod-tagged ones", () => {
    const ops = hooks.filter((h) => h.path === "/ops").flatMap((h) => h.batch.events);
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.every((e) => e.owner === "team-ops")).toBe(true);
    expect(ops.map((e) => e.kind)).toContain("endpoint-vanished");
    const prod = runs.flatMap((r) => r.events.filter((e) => e.tags.includes("prod")));
    expect(mails.length).toBe(runs.filter((r) => r.events.some((e) => e.tags.includes("prod"))).length);
    for (const mail of mails) {
      expect(mail.secure).toBe(true);
      expect(mail.user).toBe(SMTP_USER);
    }
    // The attached batch (base64) is exactly the prod-tagged events of each run.
    const attached = mails.flatMap((m) => attachedBatch(m).events);
    expect(attached).toEqual(prod);
    expect(attached.some((e) => e.endpoints.includes(endpointOf("ops")))).toBe(false);
    for (const mail of mails) expect(mail.text).toContain("Subject: pkiscope lab: ");
  });

  it("hands the command sink every batch on stdin", async () => {
    const batches = await commandBatches();
    expect(batches.map((b) => b.run)).toEqual(runs.filter((r) => r.events.length > 0).map((r) => r.run));
    for (const b of batches) expect(b.events).toEqual(runs.find((r) => r.run === b.run)!.events);
  });

  it("withholds the profile's secret variables from the command sink's child", async () => {
    const seen = (await readFile(commandEnvOut, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(seen.length).toBeGreaterThan(0);
    for (const env of seen) {
      expect(env.PKISCOPE_TEST_MARKER).toBe(NOT_SECRET.PKISCOPE_TEST_MARKER);
      for (const name of ["ALERT_HOOK_SECRET", "SMTP_USER", "SMTP_PASS"]) expect(env).not.toHaveProperty(name);
      for (const secret of [SECRET, SMTP_PASSWORD]) expect(JSON.stringify(env)).not.toContain(secret);
    }
  });

  it("keeps the secrets out of logs, stdout and the store", async () => {
    const printed = output.join("");
    expect(printed).toContain("alerts delivered to webhook");
    for (const secret of [SECRET, SMTP_PASSWORD, "t0ken"]) expect(printed).not.toContain(secret);
    const stored = Buffer.concat([await readFile(db), await readFile(`${db}-wal`).catch(() => Buffer.alloc(0))]).toString("latin1");
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of [SECRET, SMTP_PASSWORD]) expect(stored).not.toContain(secret);
  });

  it("alerts a run that did not complete", async () => {
    const store = new SqliteStore(db);
    let failed: string;
    try {
      const last = await store.findRun(runs[4]!.run);
      failed = (await store.createRun({ targets: last!.targets, ports: last!.ports, options: last!.options })).id;
    } finally {
      await store.close();
    }
    const result = await cli(["alert", "--config", config, "--profile", "lab", "--db", db, "--run", failed]);
    expect(result.code).toBe(0);
    const alerts = JSON.parse(result.stdout) as RunResult;
    expect(alerts.events.map((e) => ({ kind: e.kind, run: e.run }))).toEqual([{ kind: "run-failed", run: failed }]);
    expect(hooks.at(-1)!.batch.events[0]!.kind).toBe("run-failed");
  });
});
