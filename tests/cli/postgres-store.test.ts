// pkiscope with --db postgres://: a scan of the loopback sample network into PostgreSQL, and
// `pkiscope report --run latest` from it, give the report.json of the same scan into SQLite
// (apart from run ids and the times and durations of each scan). The URL's password reaches no
// output, no report and no row of the database.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleNetwork, startSampleNetwork } from "../../fixtures/sample-network.js";
import { STORE_BACKENDS } from "../store/backends.js";
import { runInProcess } from "./cli-helpers.js";

let network: SampleNetwork;
let dir: string;
const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-cli-postgres-"));
  network = await startSampleNetwork({ prefix: "127.172.1", port: 9443, workDir: join(dir, "net") });
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Both scans are judged at one moment, so verdicts that depend on the time agree. */
const at = new Date().toISOString();

const scan = (db: string, out: string) => runInProcess([
  "scan", "--targets", network.cidr, "--ports", String(network.port), "--trust-anchors", network.trustAnchorsPath,
  "--handshake-timeout", "3000", "--connect-timeout", "3000", "--at", at, "--db", db, "--out", out, "--format", "json", "--json", "-v",
]);

/**
 * Keys whose values are the scan's own (its run id is replaced wherever it appears): when things were observed or done, how long they
 * took, and the validity of OCSP answers (the sample's responders sign each at the moment asked).
 */
const RUN_OWN = /^(startedAt|finishedAt|analysedAt|observedAt|fetchedAt|producedAt|thisUpdate|nextUpdate|firstSeen|lastSeen|.*Ms)$/;

function withoutRunOwn(value: unknown, runIds: readonly string[]): unknown {
  if (typeof value === "string") return runIds.reduce((s, id) => s.replaceAll(id, "<run>"), value);
  if (Array.isArray(value)) return value.map((v) => withoutRunOwn(v, runIds));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, RUN_OWN.test(k) ? "<run's own>" : withoutRunOwn(v, runIds)]));
  }
  return value;
}

describe("pkiscope with --db postgres://", () => {
  it("scans into PostgreSQL and re-renders the run as the SQLite scan reports it, never showing the password", async () => {
    const url = await postgres.newSpec("cli");
    const password = new URL(url).password;
    expect(password.length).toBeGreaterThan(8);

    const sqliteScan = await scan(join(dir, "store.db"), join(dir, "sqlite"));
    expect(sqliteScan.code).toBe(0);
    const pgScan = await scan(url, join(dir, "pg-scan"));
    expect(pgScan.stderr).toContain("findings:");
    expect(pgScan.code).toBe(0);
    const rendered = await runInProcess(["report", "--db", url, "--run", "latest", "--format", "json", "--out", join(dir, "pg-report"), "--json", "-v"]);
    expect(rendered.code).toBe(0);

    const read = async (sub: string) => JSON.parse(await readFile(join(dir, sub, "report.json"), "utf8")) as { scan: { id: string }; findings: unknown[] };
    const [fromSqlite, fromPgScan, fromPgReport] = [await read("sqlite"), await read("pg-scan"), await read("pg-report")];
    expect(fromPgScan.findings.length).toBeGreaterThan(5);
    const ids = [fromSqlite.scan.id, fromPgScan.scan.id];
    expect(withoutRunOwn(fromPgReport, ids)).toEqual(withoutRunOwn(fromPgScan, ids));
    // Two scans' OCSP answers arrive in the order the responders answer them: compare them as sets.
    const ocspAsSet = (report: unknown) => {
      const copy = withoutRunOwn(report, ids) as { inventory: { ocsp: unknown[] } };
      copy.inventory.ocsp = copy.inventory.ocsp.map((o) => JSON.stringify(o)).sort();
      return copy;
    };
    expect(ocspAsSet(fromPgScan)).toEqual(ocspAsSet(fromSqlite));

    // The password: in no log line, no report, no stored row (the whole database dumped as text).
    for (const text of [pgScan.stdout, pgScan.stderr, rendered.stdout, rendered.stderr, JSON.stringify(fromPgScan), JSON.stringify(fromPgReport)]) {
      expect(text).not.toContain(password);
    }
    const tables = (await postgres.sql(url, [{ text: "SELECT tablename FROM pg_tables WHERE schemaname = 'public'" }]))[0] as { tablename: string }[];
    expect(tables.length).toBeGreaterThan(10);
    const dumps = await postgres.sql(url, tables.map((t) => ({ text: `SELECT t::text AS row FROM ${t.tablename} t` })));
    const rows = dumps.flat() as { row: string }[];
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((r) => r.row.includes(password))).toEqual([]);
  });

  it("names an unreachable database without its password, and exits 3", async () => {
    const url = new URL(await postgres.newSpec("unreachable"));
    url.pathname = "/no_such_database";
    const result = await runInProcess(["runs", "--db", url.toString()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no_such_database");
    expect(result.stderr).toContain(":***@");
    expect(result.stderr).not.toContain(url.password);
  });
});
