// The PostgreSQL, MySQL and RDP modules against real servers on loopback, each configured once
// with TLS (serving leaf + intermediate) and once without: PostgreSQL 15 (ssl=on / ssl=off),
// MariaDB (ssl_cert and ssl_key / none), xrdp 0.9 (security_layer tls and negotiate / rdp).
// XMPP, which needs a domain per stream, is in starttls-xmpp.test.ts.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mysql } from "../../collectors/tls/starttls/mysql.js";
import { postgres } from "../../collectors/tls/starttls/postgres.js";
import { type StartTlsProtocol, StartTlsRefused } from "../../collectors/tls/starttls/protocol.js";
import { rdp } from "../../collectors/tls/starttls/rdp.js";
import {
  type PrivateServerSpec, type RunningServer, type ServedChain, startMariaDb, startPostgres, startXrdp, startedTogether, writeServedChain,
} from "../../fixtures/lib/starttls-servers.js";
import { upgradeAndCaptureChain } from "./starttls-upgrade.js";

interface ServerUnderTest {
  server: string;
  protocol: StartTlsProtocol;
  port: number;
  /** Configurations that upgrade, by address. */
  upgrading: Record<string, (spec: PrivateServerSpec & { tls: ServedChain }) => Promise<RunningServer>>;
  refusing: { address: string; configuration: string; start: (spec: PrivateServerSpec) => Promise<RunningServer>; reason: RegExp };
}

const SERVERS: ServerUnderTest[] = [
  {
    server: "PostgreSQL 15", protocol: postgres, port: 5432,
    upgrading: { "127.163.0.1": startPostgres },
    refusing: { address: "127.163.0.2", configuration: "ssl=off", start: startPostgres, reason: /answered 'N'/ },
  },
  {
    server: "MariaDB", protocol: mysql, port: 3306,
    upgrading: { "127.163.0.11": startMariaDb },
    refusing: { address: "127.163.0.12", configuration: "no ssl_cert", start: startMariaDb, reason: /no CLIENT_SSL/ },
  },
  {
    server: "xrdp", protocol: rdp, port: 3389,
    upgrading: {
      "127.163.0.21": (spec) => startXrdp({ ...spec, securityLayer: "tls" }),
      "127.163.0.22": (spec) => startXrdp({ ...spec, securityLayer: "negotiate" }),
    },
    refusing: { address: "127.163.0.23", configuration: "security_layer=rdp", start: (spec) => startXrdp({ ...spec, securityLayer: "rdp" }), reason: /standard RDP security/ },
  },
];

let root: string;
let chain: ServedChain;
let running: RunningServer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pkiscope-starttls-servers-"));
  // PostgreSQL runs as its own user and must reach its directories below this one.
  await chmod(root, 0o755);
  chain = await writeServedChain(root, "db.pkiscope.test");
  const dir = () => mkdtemp(join(root, "server-"));
  running = await startedTogether(SERVERS.flatMap((s) => [
    ...Object.entries(s.upgrading).map(async ([address, start]) => start({ dir: await dir(), address, tls: chain })),
    (async () => s.refusing.start({ dir: await dir(), address: s.refusing.address }))(),
  ]));
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await rm(root, { recursive: true, force: true });
});

describe.each(SERVERS.map((s) => [s.server, s] as const))("STARTTLS against %s", (_server, s) => {
  it.each(Object.keys(s.upgrading))("upgrades on %s and captures the chain exactly as configured (leaf, then intermediate)", async (address) => {
    const sent = await upgradeAndCaptureChain(s.protocol, { hostname: null, address, port: s.port });
    expect(sent.map((d) => d.toString("hex"))).toEqual(chain.sentDer.map((d) => d.toString("hex")));
  });

  it(`records ${s.refusing.configuration} as refusing the upgrade, with the reason`, async () => {
    const refusal = await upgradeAndCaptureChain(s.protocol, { hostname: null, address: s.refusing.address, port: s.port }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(StartTlsRefused);
    expect((refusal as Error).message).toMatch(s.refusing.reason);
  });
});
