// Politeness of the TLS sweep, measured at real listeners on 127.202.0.0/16: --rate bounds new
// connections per second across the scan (posture handshakes included, in the collector's thread
// and across probe worker threads), and --per-host bounds the connections one address has open at
// once without holding up the other addresses.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type Server, type Socket, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectorTally, Politeness } from "../../collectors/collector.js";
import { tlsCollector } from "../../collectors/tls/index.js";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { silentLogger } from "../../src/log.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList, parseTarget } from "../../src/targets/targets.js";
import { mostWithin } from "../net/accept-times.js";

const TLS_PORT = 9610;
/** 16 TLS listeners: with --protocols each endpoint takes five connections (the chain's, then one per version). */
const TLS_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.202.2.${i + 1}`);
/** Two hosts of many ports each, whose listeners hang up after a while without a word. */
const MANY_PORT_HOSTS = ["127.202.3.1", "127.202.3.2"];
const MANY_PORTS = Array.from({ length: 16 }, (_, i) => 9620 + i);
const HANG_UP_AFTER_MS = 150;

let dir: string;
const servers: Server[] = [];
const acceptedAt: number[] = [];
const openNow = new Map<string, number>();
const mostOpen = new Map<string, number>();
let mostOpenOverall = 0;

function credentials() {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const cert = buildCertificate({
    subject: [["CN", "politeness.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey, dnsNames: ["politeness.test"],
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000),
  });
  return { key: privateKeyPem(key.privateKey), cert: cert.pem };
}

async function listen(server: Server, port: number, address: string): Promise<void> {
  server.listen(port, address);
  await once(server, "listening");
  servers.push(server);
}

/** Counts the sockets open at `address` now; the count drops when this side hangs up, before the scanner can know. */
function hangUpLater(address: string, socket: Socket): void {
  const open = (openNow.get(address) ?? 0) + 1;
  openNow.set(address, open);
  mostOpen.set(address, Math.max(mostOpen.get(address) ?? 0, open));
  mostOpenOverall = Math.max(mostOpenOverall, [...openNow.values()].reduce((a, b) => a + b, 0));
  socket.on("error", () => {});
  setTimeout(() => {
    openNow.set(address, openNow.get(address)! - 1);
    socket.destroy();
  }, HANG_UP_AFTER_MS);
}

async function collect(targets: string[], ports: number[], politeness: Politeness, options: { threads?: number; protocols?: boolean } = {}): Promise<CollectorTally> {
  const store = new SqliteStore(join(dir, `${Math.random()}.db`));
  const run = await store.createRun({ targets, ports, options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  const tally = await tlsCollector.collect(
    { specs: targets.map(parseTarget), ports, protocols: options.protocols ?? false, threads: options.threads ?? 0 },
    {
      recorder, log: silentLogger, signal: new AbortController().signal, exclusions: new ExclusionList([]),
      timeouts: { connectMs: 2000, handshakeMs: 3000 }, concurrency: 64, politeness, onProgress: () => {},
    },
  );
  await recorder.close();
  await store.close();
  return tally;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-politeness-"));
  const tls = credentials();
  for (const address of TLS_ADDRESSES) {
    const server = createTlsServer({ ...tls, ciphers: "ALL:@SECLEVEL=0", minVersion: "TLSv1" });
    server.on("connection", () => acceptedAt.push(performance.now()));
    server.on("tlsClientError", () => {});
    await listen(server, TLS_PORT, address);
  }
  for (const address of MANY_PORT_HOSTS) {
    for (const port of MANY_PORTS) await listen(createTcpServer((socket) => hangUpLater(address, socket)), port, address);
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await rm(dir, { recursive: true, force: true });
});

describe("--rate", () => {
  const RATE = 25;
  const targets = [`${TLS_ADDRESSES[0]}-${TLS_ADDRESSES.at(-1)}`];

  it.each([
    { threads: 0, where: "in the collector's thread" },
    { threads: 2, where: "across two probe worker threads" },
  ])("holds new connections, posture handshakes included, to the rate $where", async ({ threads }) => {
    acceptedAt.length = 0;
    const started = performance.now();
    const tally = await collect(targets, [TLS_PORT], { ratePerSecond: RATE, perHost: 5 }, { threads, protocols: true });
    const elapsedMs = performance.now() - started;
    expect(tally.tls).toBe(TLS_ADDRESSES.length);

    const connections = TLS_ADDRESSES.length * 5;
    expect(acceptedAt).toHaveLength(connections);
    const times = [...acceptedAt].sort((a, b) => a - b);
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    // Spaced 1/RATE apart: n connections span (n - 1)/RATE seconds; timers that fire late only widen it.
    expect((connections - 1) / spanS).toBeLessThanOrEqual(RATE * 1.1);
    // Accepts that a busy event loop hands over late arrive together: slack for a fifth of a second of it.
    expect(mostWithin(times, 1000)).toBeLessThanOrEqual(RATE * 1.2 + 2);
    // ...and the sweep is not much slower than the rate implies (3.2 s here): generous for a shared machine.
    expect(elapsedMs).toBeLessThan(((connections / RATE) * 3 + 5) * 1000);
  }, 60_000);
});

describe("--per-host", () => {
  it("keeps at most N connections open to one address, while other addresses go ahead", async () => {
    openNow.clear();
    mostOpen.clear();
    mostOpenOverall = 0;
    const perHost = 3;
    const tally = await collect(MANY_PORT_HOSTS, MANY_PORTS, { ratePerSecond: null, perHost });
    // Each listener hangs up without a word: an error per port, none lost.
    expect(tally.error).toBe(MANY_PORT_HOSTS.length * MANY_PORTS.length);
    for (const address of MANY_PORT_HOSTS) expect(mostOpen.get(address)).toBe(perHost);
    // Both hosts at once: the second host's probes did not wait behind the first host's.
    expect(mostOpenOverall).toBeGreaterThan(perHost);
  }, 60_000);

  it("lets a host have more open at once under a higher bound (the count above would see a missing bound)", async () => {
    openNow.clear();
    mostOpen.clear();
    await collect([MANY_PORT_HOSTS[0]!], MANY_PORTS, { ratePerSecond: null, perHost: MANY_PORTS.length });
    expect(mostOpen.get(MANY_PORT_HOSTS[0]!)).toBeGreaterThan(3);
  }, 60_000);
});
