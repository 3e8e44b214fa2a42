// The PostgreSQL module against real PostgreSQL 15 servers on loopback: one with ssl=on serving
// leaf + intermediate, one with ssl=off.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgres } from "../../collectors/tls/starttls/postgres.js";
import { StartTlsRefused } from "../../collectors/tls/starttls/protocol.js";
import { type RunningServer, type ServedChain, startPostgres, startedTogether, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

const WITH_SSL = "127.163.0.1";
const WITHOUT_SSL = "127.163.0.2";
let dirs: string[] = [];
let servers: RunningServer[] = [];
let chain: ServedChain;

beforeAll(async () => {
  dirs = await Promise.all([1, 2].map(() => mkdtemp(join(tmpdir(), "pkiscope-pg-"))));
  chain = await writeServedChain(dirs[0]!, "db.pkiscope.test");
  servers = await startedTogether([
    startPostgres({ dir: dirs[0]!, address: WITH_SSL, tls: chain }),
    startPostgres({ dir: dirs[1]!, address: WITHOUT_SSL }),
  ]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("PostgreSQL SSLRequest against PostgreSQL 15", () => {
  it("upgrades after 'S' and captures the chain exactly as configured (leaf, then intermediate)", async () => {
    const sent = await upgradeAndCaptureChain(postgres, { hostname: null, address: WITH_SSL, port: 5432 });
    expect(sent.map((d) => d.toString("hex"))).toEqual(chain.sentDer.map((d) => d.toString("hex")));
  });

  it("records a server with ssl=off as refusing the upgrade ('N')", async () => {
    const refusal = await upgradeAndCaptureChain(postgres, { hostname: null, address: WITHOUT_SSL, port: 5432 }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StartTlsRefused);
    expect((refusal as Error).message).toMatch(/answered 'N'/);
  });
});
