// The TLS collector against real listeners: exclusions are enforced before any packet, SNI is
// sent for hostnames, IPv6 loopback works, legacy TLS 1.0 is still seen, DNS failures are data.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type Server, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectorTally } from "../../collectors/collector.js";
import { tlsCollector } from "../../collectors/tls/index.js";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { silentLogger } from "../../src/log.js";
import type { EndpointRow } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList, parseTarget } from "../../src/targets/targets.js";

const PORT = 9553;
let dir: string;
const servers: Server[] = [];
const connectionsTo = new Map<string, number>();
const sniSeen: string[] = [];

function credentials(name: string) {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const cert = buildCertificate({
    subject: [["CN", name]], publicKey: key.publicKey, selfSignKey: key.privateKey, dnsNames: [name],
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000),
  });
  return { key: privateKeyPem(key.privateKey), cert: cert.pem };
}

async function serveTls(address: string, options: Record<string, unknown> = {}): Promise<void> {
  const server = createTlsServer({
    ...credentials(`${address}.test`),
    ciphers: "ALL:@SECLEVEL=0",
    // Called with the ClientHello's server_name, before the handshake can fail or be cut short.
    SNICallback: (name, done) => {
      sniSeen.push(name);
      done(null);
    },
    ...options,
  });
  server.on("connection", () => connectionsTo.set(address, (connectionsTo.get(address) ?? 0) + 1));
  server.on("tlsClientError", () => {});
  server.listen(PORT, address);
  await once(server, "listening");
  servers.push(server);
}

interface CollectOptions {
  /** Probe worker threads (0: the collector's own thread; unset: the collector decides). */
  threads?: number;
  signal?: AbortSignal;
  handshakeMs?: number;
}

async function collect(targets: string[], exclude: string[] = [], options: CollectOptions = {}): Promise<{ endpoints: EndpointRow[]; tally: CollectorTally }> {
  const store = new SqliteStore(join(dir, `${Math.random()}.db`));
  const run = await store.createRun({ targets, ports: [PORT], options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  const tally = await tlsCollector.collect(
    { specs: targets.map(parseTarget), ports: [PORT], ...(options.threads === undefined ? {} : { threads: options.threads }) },
    {
      recorder, log: silentLogger, signal: options.signal ?? new AbortController().signal, exclusions: new ExclusionList(exclude),
      timeouts: { connectMs: 1000, handshakeMs: options.handshakeMs ?? 1000 }, concurrency: 16, onProgress: () => {},
    },
  );
  await recorder.close();
  const { endpoints } = await store.loadRun(run.id);
  await store.close();
  return { endpoints, tally };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-tls-"));
  await serveTls("127.85.0.1");
  await serveTls("127.85.0.2");
  await serveTls("127.85.0.3", { minVersion: "TLSv1", maxVersion: "TLSv1" });
  await serveTls("::1");
  // "localhost" resolves to 127.0.0.1 (and ::1 where /etc/hosts says so).
  await serveTls("127.0.0.1");
  const plain = createTcpServer((s) => s.destroy());
  plain.listen(PORT, "127.85.0.4");
  await once(plain, "listening");
  servers.push(plain);
  // A liar: answers the ClientHello with a TLS handshake record header and garbage, then a flood.
  const liar = createTcpServer((s) => {
    s.on("error", () => {});
    s.once("data", () => {
      s.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00]), Buffer.alloc(0x4000, 0xff)]));
      s.end(Buffer.alloc(1 << 20, 0x41));
    });
  });
  liar.listen(PORT, "127.85.0.5");
  await once(liar, "listening");
  servers.push(liar);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await rm(dir, { recursive: true, force: true });
});

describe("TLS collector", () => {
  it("never connects to an excluded address, even inside a scanned block", async () => {
    connectionsTo.clear();
    const { endpoints, tally } = await collect(["127.85.0.0/30"], ["127.85.0.2/32"]);
    expect(connectionsTo.get("127.85.0.2")).toBeUndefined();
    expect(connectionsTo.get("127.85.0.1")).toBe(1);
    expect(endpoints.map((e) => e.address)).not.toContain("127.85.0.2");
    expect(tally.excluded).toBe(1);
  });

  it("sends a hostname as SNI to each of its addresses and records it", async () => {
    sniSeen.length = 0;
    const { endpoints } = await collect([`localhost:${PORT}`]);
    const tls = endpoints.filter((e) => e.status === "tls");
    expect(tls.length).toBeGreaterThanOrEqual(1);
    expect(tls[0]).toMatchObject({ sni: "localhost", id: expect.stringMatching(/#localhost$/) });
    expect(sniSeen).toContain("localhost");
  });

  it("applies exclusions to resolved hostnames", async () => {
    const { endpoints, tally } = await collect([`localhost:${PORT}`], ["127.0.0.0/8", "::1"]);
    expect(endpoints).toHaveLength(0);
    expect(tally.excluded).toBeGreaterThanOrEqual(1);
    expect(tally.tls ?? 0).toBe(0);
  });

  it("scans IPv6 loopback", async () => {
    const { endpoints } = await collect(["::1"]);
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ id: `[::1]:${PORT}`, status: "tls" });
  });

  it("still sees a TLS 1.0-only server", async () => {
    const { endpoints } = await collect(["127.85.0.3"]);
    expect(endpoints[0]).toMatchObject({ status: "tls", tlsVersion: "TLSv1" });
    expect(endpoints[0]!.chain).toHaveLength(1);
  });

  it("records a server that speaks garbage TLS as an error, quickly, and keeps scanning", async () => {
    const started = Date.now();
    const { endpoints } = await collect(["127.85.0.5", "127.85.0.1"]);
    const byAddress = new Map(endpoints.map((e) => [e.address, e]));
    expect(byAddress.get("127.85.0.5")).toMatchObject({ status: "error", chain: [] });
    expect(byAddress.get("127.85.0.5")!.error).toContain("TLS handshake failed");
    expect(byAddress.get("127.85.0.1")).toMatchObject({ status: "tls" });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("records a server that closes without a word as an error, and a DNS failure as an error", async () => {
    const { endpoints } = await collect(["127.85.0.4", "no-such-host.invalid"]);
    const byAddress = new Map(endpoints.map((e) => [e.address, e]));
    expect(byAddress.get("127.85.0.4")).toMatchObject({ status: "error" });
    expect(byAddress.get("127.85.0.4")!.error).toContain("closed");
    expect(byAddress.get("no-such-host.invalid")).toMatchObject({ status: "error" });
    expect(byAddress.get("no-such-host.invalid")!.error).toContain("DNS lookup");
  });

  it("sees the same endpoints, with the same chains, from probe worker threads, and keeps exclusions", async () => {
    const targets = ["127.85.0.0/29", "::1", `localhost:${PORT}`];
    // What the comparison keeps: everything an observation says but its timings, and the thread
    // id OpenSSL puts at the head of its error strings.
    const essentials = (endpoints: EndpointRow[]) =>
      endpoints.map(({ id, status, error, tlsVersion, cipher, chain, stapledOcsp }) => ({
        id, status, error: error?.replace(/\b[0-9A-F]{8,16}(?=:error:)/g, "<thread>"), tlsVersion, cipher, chain, stapledOcsp,
      }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const inThread = await collect(targets, ["127.85.0.2"], { threads: 0 });
    connectionsTo.clear();
    const threaded = await collect(targets, ["127.85.0.2"], { threads: 2 });
    expect(connectionsTo.get("127.85.0.2")).toBeUndefined();
    expect(essentials(threaded.endpoints)).toEqual(essentials(inThread.endpoints));
    expect(threaded.tally).toEqual(inThread.tally);
    expect(threaded.tally).toMatchObject({ excluded: 1, tls: expect.any(Number), closed: expect.any(Number) });
    expect(threaded.endpoints.filter((e) => e.status === "tls").map((e) => e.chain.length)).not.toContain(0);
  });

  it("ends a handshake stalled in a probe worker thread on interrupt, and records it", async () => {
    // Accepts TCP and never answers: only the interrupt can end the handshake within the test.
    const silent = createTcpServer((s) => {
      s.on("error", () => {});
      s.resume();
      interrupt.abort();
    });
    silent.listen(PORT, "127.85.0.6");
    await once(silent, "listening");
    servers.push(silent);
    const interrupt = new AbortController();
    const { endpoints } = await collect(["127.85.0.6"], [], { threads: 1, signal: interrupt.signal, handshakeMs: 600_000 });
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ address: "127.85.0.6", status: "error", error: expect.stringContaining("interrupted") });
  });
});
