// The queue holds no secrets, with real processes over the private PostgreSQL (a database of its
// own): a distributed run of a profile whose LDAP bind password and keystore password come by
// environment variable name (the directory, on 127.63.10.1, refuses the connection: the source
// is recorded failed, the run goes on) leaves neither password anywhere in pg-boss's tables
// (pkiscope_queue: jobs, archive, queues) nor in the run's stored plan, though the worker that
// collected the sources was given both.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_BACKENDS } from "../store/backends.js";
import { contentsOf, killAll, logsOf, runIdIn, start, worker } from "./processes.js";

const postgres = STORE_BACKENDS.find((b) => b.name === "postgres")!;
const LDAP_PASSWORD = "ldap-Secret-7f3a9c1e";
const KEYSTORE_PASSWORD = "keystore-Secret-2b8d4e6f";
const secrets = { LAB_LDAP_PASSWORD: LDAP_PASSWORD, LAB_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD };

let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-queue-secrets-"));
  const files = join(dir, "files");
  await mkdir(files);
  config = join(dir, "pkiscope.yaml");
  await writeFile(config, [
    "profiles:",
    "  directory:",
    `    files: [{ path: ${files} }]`,
    "    keystorePasswordEnv: LAB_KEYSTORE_PASSWORD",
    "    ldap:",
    "      urls: [ldaps://127.63.10.1:636]",
    "      bindDn: CN=scanner,CN=Users,DC=lab,DC=example",
    "      passwordEnv: LAB_LDAP_PASSWORD",
    "",
  ].join("\n"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the distributed scans' queue", () => {
  it("holds no LDAP or keystore password of a run whose profile names them by environment variable", async () => {
    const db = await postgres.newSpec("queue_secrets");
    const coordinator = start(["coordinator", "--db", db, "--config", config, "--profile", "directory", "--poll-seconds", "1", "--wait"], secrets);
    const lone = worker(db, [], secrets);
    const processes = [coordinator, lone];
    try {
      const [code] = await Promise.race([coordinator.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not conclude\n${logsOf(processes)}`)), 90_000))]);
      expect(code, logsOf(processes)).toBe(0);
      const runId = runIdIn(coordinator.log.text)!;
      const got = await contentsOf(db, runId);
      expect(got.complete).toBe(true);
      expect(got.plan!.shards.map((s) => [s.id, s.done])).toEqual([["sources", true]]);
      // The worker bound to the directory, with the password (the connection refused; one LDAP outcome tallied).
      expect(Object.keys((got.plan!.shards[0]!.tally as { collectors: Record<string, unknown> }).collectors)).toContain("adcs");

      const [rows] = await postgres.sql(db, [{
        text: `SELECT 'job' AS t, j::text AS row FROM pkiscope_queue.job j UNION ALL SELECT 'archive', a::text FROM pkiscope_queue.archive a
          UNION ALL SELECT 'queue', q::text FROM pkiscope_queue.queue q`,
      }]) as [{ t: string; row: string }[]];
      // The run's two jobs (its shard and its analysis) are there, carrying the run id.
      expect(rows.filter((r) => r.t !== "queue" && r.row.includes(runId)).length, JSON.stringify(rows)).toBe(2);
      for (const secret of [LDAP_PASSWORD, KEYSTORE_PASSWORD]) {
        expect(rows.filter((r) => r.row.includes(secret))).toEqual([]);
        expect(JSON.stringify(got.plan!.plan)).not.toContain(secret);
        expect(logsOf(processes)).not.toContain(secret);
      }
      // What the plan keeps instead: the variables' names.
      expect(JSON.stringify(got.plan!.plan)).toContain("LAB_LDAP_PASSWORD");
      lone.child.kill("SIGTERM");
      expect((await lone.exited)[0], lone.log.text).toBe(0);
    } finally {
      killAll(processes);
    }
  }, 120_000);
});
