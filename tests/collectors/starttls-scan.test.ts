// STARTTLS through the TLS collector: one sweep over real PostgreSQL, MariaDB, xrdp and Prosody
// servers (with and without TLS) and two hand-written peers that stall or answer garbage, with
// the database, RDP and XMPP ports as the port list. Each port is probed with the protocol it
// speaks by default, each chain is stored as sent, each refusal and failure is a status, and the
// stalling peer does not keep the rest of the sweep from completing.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsCollector } from "../../collectors/tls/index.js";
import {
  type RunningServer, type ServedChain, startMariaDb, startPostgres, startProsody, startXrdp, startedTogether, writeServedChain,
} from "../../fixtures/lib/starttls-servers.js";
import { silentLogger } from "../../src/log.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import type { EndpointRow } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList, parseTarget } from "../../src/targets/targets.js";

const PORTS = [5432, 3306, 3389, 5222];
const XMPP_DOMAIN = "xmpp.pkiscope.test";
const SERVERS = {
  postgresTls: "127.163.1.1",
  postgresPlain: "127.163.1.2",
  mariadbTls: "127.163.1.3",
  mariadbPlain: "127.163.1.4",
  xrdpTls: "127.163.1.5",
  xrdpRdp: "127.163.1.6",
  prosody: "127.163.1.7",
} as const;
/** Hand-written peers (no real server stalls or babbles on demand): on 5432 and 3389. */
const STALLING = "127.164.1.1";
const BABBLING = "127.164.1.2";
const STEP_MS = 2000;

let root: string;
const running: RunningServer[] = [];
const peers: Server[] = [];
const chains = new Map<string, ServedChain>();
let endpoints: Map<string, EndpointRow>;

async function dirFor(name: string): Promise<string> {
  return mkdtemp(join(root, `${name}-`));
}

async function hostilePeer(address: string, port: number, onConnection: (socket: import("node:net").Socket) => void): Promise<void> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    onConnection(socket);
  });
  server.listen(port, address);
  await once(server, "listening");
  peers.push(server);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pkiscope-starttls-scan-"));
  // PostgreSQL runs as its own user and must reach its directories below this one.
  await chmod(root, 0o755);
  const withChain = async (key: string, name: string) => {
    const dir = await dirFor(key);
    const chain = await writeServedChain(dir, name);
    chains.set(key, chain);
    return { dir, chain };
  };
  const pg = await withChain("postgres", "db.pkiscope.test");
  const maria = await withChain("mariadb", "db.pkiscope.test");
  const rdp = await withChain("xrdp", "rdp.pkiscope.test");
  const xmpp = await withChain("prosody", XMPP_DOMAIN);
  running.push(...(await startedTogether([
    startPostgres({ dir: pg.dir, address: SERVERS.postgresTls, tls: pg.chain }),
    startPostgres({ dir: await dirFor("postgres-plain"), address: SERVERS.postgresPlain }),
    startMariaDb({ dir: maria.dir, address: SERVERS.mariadbTls, tls: maria.chain }),
    startMariaDb({ dir: await dirFor("mariadb-plain"), address: SERVERS.mariadbPlain }),
    startXrdp({ dir: rdp.dir, address: SERVERS.xrdpTls, tls: rdp.chain, securityLayer: "tls" }),
    startXrdp({ dir: await dirFor("xrdp-rdp"), address: SERVERS.xrdpRdp, securityLayer: "rdp" }),
    startProsody({ dir: xmpp.dir, address: SERVERS.prosody, hosts: [{ domain: XMPP_DOMAIN, tls: xmpp.chain }] }),
  ])));
  // Accepts, reads and never says a word: the SSLRequest goes unanswered. (Reading lets the
  // socket see the scanner's close; an unread socket never ends, and its server never closes.)
  await hostilePeer(STALLING, 5432, (socket) => socket.resume());
  // Answers the X.224 Connection Request with an HTTP error page.
  await hostilePeer(BABBLING, 3389, (socket) => socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")));

  const store = new SqliteStore(join(root, "scan.db"));
  const targets = ["127.163.1.1-127.163.1.6", `${XMPP_DOMAIN}@${SERVERS.prosody}`, STALLING, BABBLING];
  const run = await store.createRun({ targets, ports: PORTS, options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  await tlsCollector.collect(
    { specs: targets.map(parseTarget), ports: PORTS },
    {
      recorder, log: silentLogger, signal: new AbortController().signal, exclusions: new ExclusionList([]),
      timeouts: { connectMs: 2000, handshakeMs: 10_000, starttlsStepMs: STEP_MS }, concurrency: 8, onProgress: () => {},
    },
  );
  await recorder.close();
  endpoints = new Map((await store.loadRun(run.id)).endpoints.map((e) => [e.id, e]));
  await store.close();
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await Promise.all(peers.map((p) => new Promise((r) => p.close(r))));
  await rm(root, { recursive: true, force: true });
});

const sha256 = (der: Buffer): string => createHash("sha256").update(der).digest("hex");

describe("a sweep of database, RDP and XMPP ports through the TLS collector", () => {
  it.each([
    ["PostgreSQL", `${SERVERS.postgresTls}:5432`, "postgres", "postgres"],
    ["MariaDB", `${SERVERS.mariadbTls}:3306`, "mysql", "mariadb"],
    ["xrdp", `${SERVERS.xrdpTls}:3389`, "rdp", "xrdp"],
    ["Prosody", `${SERVERS.prosody}:5222#${XMPP_DOMAIN}`, "xmpp", "prosody"],
  ])("%s: upgraded with its port's protocol, the chain stored exactly as sent", (_server, id, protocol, chainKey) => {
    expect(endpoints.get(id)).toMatchObject({ status: "tls", starttls: protocol, error: null });
    expect(endpoints.get(id)!.chain).toEqual(chains.get(chainKey)!.sentDer.map(sha256));
  });

  it.each([
    ["PostgreSQL ssl=off", `${SERVERS.postgresPlain}:5432`, "postgres", /answered 'N'/],
    ["MariaDB without TLS", `${SERVERS.mariadbPlain}:3306`, "mysql", /no CLIENT_SSL/],
    ["xrdp security_layer=rdp", `${SERVERS.xrdpRdp}:3389`, "rdp", /standard RDP security/],
  ])("%s: recorded no-starttls with the reason", (_server, id, protocol, reason) => {
    expect(endpoints.get(id)).toMatchObject({ status: "no-starttls", starttls: protocol, chain: [] });
    expect(endpoints.get(id)!.error).toMatch(reason);
  });

  it("records a peer that stalls after accepting as a timeout, and one that answers garbage as an error", () => {
    expect(endpoints.get(`${STALLING}:5432`)).toMatchObject({ status: "timeout", starttls: "postgres", chain: [] });
    expect(endpoints.get(`${BABBLING}:3389`)).toMatchObject({ status: "error", starttls: "rdp" });
    expect(endpoints.get(`${BABBLING}:3389`)!.error).toMatch(/no TPKT header/);
  });

  it("stores nothing for the ports nothing listens on", () => {
    expect([...endpoints.keys()].sort()).toEqual([
      `${SERVERS.postgresTls}:5432`, `${SERVERS.postgresPlain}:5432`, `${SERVERS.mariadbTls}:3306`, `${SERVERS.mariadbPlain}:3306`,
      `${SERVERS.xrdpTls}:3389`, `${SERVERS.xrdpRdp}:3389`, `${SERVERS.prosody}:5222#${XMPP_DOMAIN}`, `${STALLING}:5432`, `${BABBLING}:3389`,
    ].sort());
  });
});
