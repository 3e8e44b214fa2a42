// pkiscope diff over real loopback scans: four TLS endpoints scanned twice into one store, the
// network changed between the runs. "renew" gets a new leaf 20 days before its old one expires
// (the old one raised expiring-soon), "expire" keeps serving a leaf that expires between the runs,
// "gone" stops listening, and "rogue" appears with a chain of its own untrusted CA. A scan of other
// targets and a run that never finished sit between the two, so the default pairing must skip them.
// Expected values come from what each scan itself saw (its view and conclusions).
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import type { SampleCertificate } from "../../fixtures/sample-pki.js";
import { pairRuns, readRunDiff } from "../../src/engine/diff.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import type { RunDiff } from "../../src/model/diff.js";
import { MATURITY_CATEGORIES } from "../../src/model/maturity.js";
import type { RunInfo } from "../../src/model/types.js";
import { renderDiff } from "../../src/reports/diff.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runInProcess } from "../cli/cli-helpers.js";
import { ChangingNetwork } from "./changing-network.js";

const DAY = 86_400_000;
const PORT = 9443;
const ADDRESSES = { renew: "127.119.0.2", expire: "127.119.0.3", gone: "127.119.0.4", rogue: "127.119.0.5" } as const;
type Name = keyof typeof ADDRESSES;
const ENDPOINT = Object.fromEntries(Object.entries(ADDRESSES).map(([name, address]) => [name, `${address}:${PORT}`])) as Record<Name, string>;
/** How long the "expire" leaf outlives the first scan's start: the first scan must see it valid. */
const EXPIRY_MARGIN_MS = 15_000;

const issue = (cn: string, issuer: SampleCertificate | null, notBefore: Date, notAfter: Date, ca = false): SampleCertificate => {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const built = buildCertificate({
    subject: [["O", "pkiscope diff"], ["CN", cn]], publicKey: key.publicKey,
    ...(issuer ? { issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey } } : { selfSignKey: key.privateKey }),
    notBefore, notAfter,
    ...(ca ? { isCA: true, keyUsage: ["keyCertSign", "cRLSign"] } : { dnsNames: [cn], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"] }),
  });
  return { ...built, privateKey: key.privateKey };
};
const days = (n: number) => new Date(Date.now() + n * DAY);

let dir: string;
let db: string;
let anchors: string;
let store: SqliteStore;
let first: ScanOutcome;
let second: ScanOutcome;
let other: ScanOutcome;
let unfinished: RunInfo;
let diff: RunDiff;
const pki = {} as Record<"root" | "intermediate" | "rogueRoot" | "renew1" | "renew2" | "expire" | "gone" | "rogue", SampleCertificate>;

const network = new ChangingNetwork(ADDRESSES, PORT);
const scan = (targets: string[] = Object.values(ADDRESSES)) => runScan(store, network.plan(anchors, targets), { log: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-diff-"));
  db = join(dir, "diff.db");
  anchors = join(dir, "anchors.pem");
  pki.root = issue("Diff Root CA", null, days(-400), days(3650), true);
  pki.intermediate = issue("Diff Issuing CA", pki.root, days(-300), days(1800), true);
  pki.rogueRoot = issue("Rogue CA", null, days(-1), days(365), true);
  // Expires in 20 days: expiring-soon until it is replaced.
  pki.renew1 = issue("renew.diff.test", pki.intermediate, days(-70), days(20));
  pki.renew2 = issue("renew.diff.test", pki.intermediate, days(-1), days(89));
  const expiry = new Date(Date.now() + EXPIRY_MARGIN_MS);
  pki.expire = issue("expire.diff.test", pki.intermediate, days(-80), expiry);
  pki.gone = issue("gone.diff.test", pki.intermediate, days(-10), days(80));
  pki.rogue = issue("rogue.diff.test", pki.rogueRoot, days(-1), days(60));
  await writeFile(anchors, pki.root.pem);
  store = new SqliteStore(db);
  await network.serve("renew", [pki.renew1, pki.intermediate]);
  await network.serve("expire", [pki.expire, pki.intermediate]);
  await network.serve("gone", [pki.gone, pki.intermediate]);
  first = await scan();
  // Runs the default pairing must pass over: other targets, and one that never finished.
  other = await scan([ADDRESSES.gone]);
  unfinished = await store.createRun({ targets: Object.values(ADDRESSES), ports: [PORT], options: {} });
  await network.stop("renew");
  await network.serve("renew", [pki.renew2, pki.intermediate]);
  await network.stop("gone");
  await network.serve("rogue", [pki.rogue, pki.rogueRoot]);
  const wait = expiry.getTime() + 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  second = await scan();
  const { from, to } = pairRuns(await store.listRuns(), {});
  diff = await readRunDiff(store, from, to);
}, 180_000);

afterAll(async () => {
  await network.stopAll();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const leafOf = (outcome: ScanOutcome, name: Name) => {
  const e = outcome.view.endpoints.find((x) => x.id === ENDPOINT[name])!;
  return { sha256: e.chain[0]!, observedAt: e.observedAt, record: outcome.view.bySha.get(e.chain[0]!)!.record };
};
const findingIds = (outcome: ScanOutcome) => new Set(outcome.conclusions.findings.map((f) => f.id));

describe("pkiscope diff of two scans of a changed network", () => {
  it("pairs the last two complete runs of the same targets by default", () => {
    expect(diff.from.id).toBe(first.run.id);
    expect(diff.to.id).toBe(second.run.id);
    expect(other.run.targets).not.toEqual(second.run.targets);
    expect(unfinished.complete).toBe(false);
  });

  it("saw the network as the scenario says", () => {
    expect(Date.parse(leafOf(first, "expire").observedAt)).toBeLessThan(Date.parse(leafOf(first, "expire").record.notAfter));
    expect(Date.parse(leafOf(second, "expire").observedAt)).toBeGreaterThan(Date.parse(leafOf(second, "expire").record.notAfter));
    expect(second.view.endpoints.find((e) => e.id === ENDPOINT.gone)?.chain ?? []).toEqual([]);
    expect(first.view.endpoints.find((e) => e.id === ENDPOINT.rogue)?.chain ?? []).toEqual([]);
  });

  it("names the renewal and how many days before the old leaf's expiry it was first seen", () => {
    const old = leafOf(first, "renew");
    const renewed = leafOf(second, "renew");
    const lead = (Date.parse(old.record.notAfter) - Date.parse(renewed.observedAt)) / DAY;
    expect(lead).toBeGreaterThan(19);
    expect(lead).toBeLessThan(20.1);
    expect(diff.renewals).toHaveLength(1);
    expect(diff.renewals[0]).toMatchObject({
      endpoint: ENDPOINT.renew, previous: old.sha256, current: renewed.sha256, subject: renewed.record.subject,
      previousNotAfter: old.record.notAfter, observedAt: renewed.observedAt,
    });
    expect(diff.renewals[0]!.leadDays).toBeCloseTo(lead, 1);
  });

  it("finds the leaf that expired in service", () => {
    const expired = leafOf(second, "expire");
    expect(diff.expiredInService).toEqual([{
      endpoint: ENDPOINT.expire, certificate: expired.sha256, subject: expired.record.subject, notAfter: expired.record.notAfter, observedAt: expired.observedAt,
    }]);
  });

  it("lists certificates that appeared and vanished, with first and last seen", () => {
    const gone = leafOf(first, "gone");
    const renew1 = leafOf(first, "renew");
    expect(diff.certificates.vanished.map((c) => c.sha256).sort()).toEqual([gone.sha256, renew1.sha256].sort());
    const vanished = diff.certificates.vanished.find((c) => c.sha256 === gone.sha256)!;
    // Seen by the first run and by the run of other targets after it.
    const otherLeaf = other.view.endpoints.find((e) => e.id === ENDPOINT.gone)!;
    expect(vanished).toMatchObject({ subject: gone.record.subject, endpoints: [ENDPOINT.gone], firstSeen: gone.observedAt, lastSeen: otherLeaf.observedAt });
    const renew2 = leafOf(second, "renew");
    const rogue = leafOf(second, "rogue");
    expect(diff.certificates.appeared.map((c) => c.sha256).sort()).toEqual([renew2.sha256, rogue.sha256].sort());
    expect(diff.certificates.appeared.find((c) => c.sha256 === rogue.sha256)).toMatchObject({
      notAfter: rogue.record.notAfter, endpoints: [ENDPOINT.rogue], firstSeen: rogue.observedAt, lastSeen: rogue.observedAt,
    });
  });

  it("finds the rogue CA new and the endpoint that went away", () => {
    const rogueRoot = createHash("sha256").update(pki.rogueRoot.der).digest("hex");
    const rogueCa = second.view.bySha.get(rogueRoot)!.record;
    expect(diff.cas.appeared).toEqual([{
      subject: rogueCa.subject, spkiSha256: rogueCa.spkiSha256, certificates: [rogueRoot],
      firstSeen: leafOf(second, "rogue").observedAt, lastSeen: leafOf(second, "rogue").observedAt,
    }]);
    expect(diff.cas.vanished).toEqual([]);
    expect(diff.endpoints.appeared).toEqual([{ id: ENDPOINT.rogue, leaf: leafOf(second, "rogue").sha256, firstSeen: leafOf(second, "rogue").observedAt, lastSeen: leafOf(second, "rogue").observedAt }]);
    expect(diff.endpoints.vanished.map((e) => e.id)).toEqual([ENDPOINT.gone]);
  });

  it("opens and resolves findings by their stable ids", () => {
    const before = findingIds(first);
    const after = findingIds(second);
    expect(diff.findings.opened.map((f) => f.id).sort()).toEqual([...after].filter((id) => !before.has(id)).sort());
    expect(diff.findings.resolved.map((f) => f.id).sort()).toEqual([...before].filter((id) => !after.has(id)).sort());
    const ruleOn = (list: RunDiff["findings"]["opened"], rule: string, certificate: string) => list.find((f) => f.ruleId === rule && f.certificate === certificate);
    expect(ruleOn(diff.findings.resolved, "expiring-soon", leafOf(first, "renew").sha256)).toBeDefined();
    expect(ruleOn(diff.findings.opened, "expired", leafOf(second, "expire").sha256)).toMatchObject({ endpoints: [ENDPOINT.expire] });
    expect(diff.findings.opened.some((f) => f.endpoints.includes(ENDPOINT.rogue))).toBe(true);
  });

  it("gives every category's maturity level in both runs", () => {
    const levels = (o: ScanOutcome) => [...MATURITY_CATEGORIES.map((c) => o.conclusions.maturity!.categories[c].level), o.conclusions.maturity!.overall.level];
    expect(diff.maturity.map((m) => m.category)).toEqual([...MATURITY_CATEGORIES, "overall"]);
    expect(diff.maturity.map((m) => m.from)).toEqual(levels(first));
    expect(diff.maturity.map((m) => m.to)).toEqual(levels(second));
    // The expired leaf in service and the rogue CA cost the second run somewhere.
    expect(diff.maturity.some((m) => m.from !== m.to)).toBe(true);
  });

  it("pairs explicit runs: --to alone, and --from alone reaches the latest run of its targets", async () => {
    const runs = await store.listRuns();
    expect(pairRuns(runs, { to: second.run })).toMatchObject({ from: { id: first.run.id }, to: { id: second.run.id } });
    expect(pairRuns(runs, { from: first.run })).toMatchObject({ from: { id: first.run.id }, to: { id: second.run.id } });
    expect(() => pairRuns(runs, { to: first.run })).toThrow(/no complete run of the same targets .* before run/);
    expect(() => pairRuns(runs, { from: second.run, to: first.run })).toThrow(/started after/);
  });
});

describe("pairing by profile", () => {
  const run = (id: string, profile: string | null, targets: string[], complete = true): RunInfo => ({
    id, startedAt: `2030-01-0${id.length}T00:00:00.000Z`, finishedAt: null, complete, targets, ports: [443], stats: {},
    // As a scan with --config --profile records it.
    options: profile === null ? {} : { profile: { name: profile, networks: [{ name: null, targets, ports: null, owner: null, site: null, tags: [] }], files: [] } },
  });
  it("pairs the latest run with the previous one of its profile, whatever their targets", () => {
    const runs = [run("a", "dmz", ["10.0.0.0/24"]), run("b", "lab", ["10.0.0.0/24"]), run("c", "dmz", ["10.0.0.0/23"]), run("d", "dmz", ["10.0.0.0/23"], false)];
    expect(pairRuns(runs, {})).toMatchObject({ from: { id: "a" }, to: { id: "c" } });
    expect(() => pairRuns(runs, { to: runs[1]! })).toThrow(/no complete run of the same profile "lab" before run b/);
  });
  it("does not pair a profile's run with a run without a profile of the same targets", () => {
    const runs = [run("a", null, ["10.0.0.0/24"]), run("b", "dmz", ["10.0.0.0/24"])];
    expect(() => pairRuns(runs, {})).toThrow(/profile "dmz"/);
  });
});

describe("pkiscope diff on the command line", () => {
  it("prints the default pair's diff as JSON, text and Markdown", async () => {
    const json = await runInProcess(["diff", "--db", db, "--format", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(diff)));
    const text = await runInProcess(["diff", "--db", db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(renderDiff(diff, "text"));
    expect(text.stdout).toContain(`Renewals (1)\n  ${ENDPOINT.renew}: ${diff.renewals[0]!.previous} -> ${diff.renewals[0]!.current}`);
    expect(text.stdout).toContain(`Endpoints vanished (1)\n  ${ENDPOINT.gone}`);
    const md = await runInProcess(["diff", "--db", db, "--format", "md", "--from", first.run.id.slice(0, 8), "--to", "latest"]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`## Expired in service (1)\n\n- ${ENDPOINT.expire}: ${diff.expiredInService[0]!.subject}`);
    expect(md.stdout).toContain("## CAs new (1)");
  });

  it("exits 2 for an unknown --from, a --from with no later run, and an unknown format", async () => {
    for (const args of [["--from", "no-such-run"], ["--from", second.run.id], ["--format", "xml"]]) {
      const result = await runInProcess(["diff", "--db", db, ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
    }
  });
});
