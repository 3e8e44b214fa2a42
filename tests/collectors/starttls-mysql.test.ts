// The MySQL module against real MariaDB servers on loopback: one with ssl_cert/ssl_key serving
// leaf + intermediate, one without TLS (no CLIENT_SSL in its handshake).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mysql } from "../../collectors/tls/starttls/mysql.js";
import { StartTlsRefused } from "../../collectors/tls/starttls/protocol.js";
import { type RunningServer, type ServedChain, startMariaDb, startedTogether, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

const WITH_TLS = "127.163.0.11";
const WITHOUT_TLS = "127.163.0.12";
let dirs: string[] = [];
let servers: RunningServer[] = [];
let chain: ServedChain;

beforeAll(async () => {
  dirs = await Promise.all([1, 2].map(() => mkdtemp(join(tmpdir(), "pkiscope-mariadb-"))));
  chain = await writeServedChain(dirs[0]!, "db.pkiscope.test");
  servers = await startedTogether([
    startMariaDb({ dir: dirs[0]!, address: WITH_TLS, tls: chain }),
    startMariaDb({ dir: dirs[1]!, address: WITHOUT_TLS }),
  ]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("MySQL SSL Request against MariaDB", () => {
  it("upgrades when the handshake offers CLIENT_SSL and captures the chain exactly as configured", async () => {
    const sent = await upgradeAndCaptureChain(mysql, { hostname: null, address: WITH_TLS, port: 3306 });
    expect(sent.map((d) => d.toString("hex"))).toEqual(chain.sentDer.map((d) => d.toString("hex")));
  });

  it("records a server without TLS as refusing the upgrade (no CLIENT_SSL)", async () => {
    const refusal = await upgradeAndCaptureChain(mysql, { hostname: null, address: WITHOUT_TLS, port: 3306 }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StartTlsRefused);
    expect((refusal as Error).message).toMatch(/no CLIENT_SSL/);
  });
});
