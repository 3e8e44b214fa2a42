// Protocol posture (--protocols) against real servers: Node TLS listeners pinned to version ranges
// and a real `openssl s_server -tls1`, each on its own 127.166.0.x address. Each endpoint gets one
// verdict per version, accepted or refused as its server allows; a server that accepts the
// connection and then says nothing is an error with why; the extra handshakes stay within the
// collector's concurrency bound.
import { type ChildProcess, spawn } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type Server as TcpServer, type Socket, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Server, createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsCollector } from "../../collectors/tls/index.js";
import { probeProtocols } from "../../collectors/tls/posture.js";
import { connectTcp } from "../../collectors/tls/probe.js";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { silentLogger } from "../../src/log.js";
import type { ProtocolSupport } from "../../src/model/types.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import type { EndpointRow } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList, parseTarget } from "../../src/targets/targets.js";

const PORT = 9671;
/** Node listeners: address → the version range their server allows. */
const RANGES = {
  "127.166.0.1": ["TLSv1", "TLSv1.3"],
  "127.166.0.2": ["TLSv1.2", "TLSv1.3"],
  "127.166.0.3": ["TLSv1.1", "TLSv1.2"],
  "127.166.0.4": ["TLSv1.3", "TLSv1.3"],
} as const;
const OPENSSL_TLS1 = "127.166.0.5";
const SILENT = "127.166.0.6";

let dir: string;
const servers: (Server | TcpServer)[] = [];
let openssl: ChildProcess;
/** Server-side sockets, destroyed at the end so the listeners close. */
const serverSockets = new Set<Socket>();
/**
 * The scanner's TCP connections not yet destroyed, seen client-side as Node creates them, and the
 * most there ever were at once. `destroyed` is set the moment the collector lets a socket go;
 * its close event comes a turn of the event loop later and would count it still open.
 */
const live = new Set<Socket>();
let mostOpen = 0;
subscribe("net.client.socket", (message) => {
  for (const socket of live) if (socket.destroyed) live.delete(socket);
  live.add((message as { socket: Socket }).socket);
  mostOpen = Math.max(mostOpen, live.size);
});

const accepted = { outcome: "accepted" } as const;
const refused = { outcome: "refused" } as const;

async function listen(server: Server | TcpServer, address: string): Promise<void> {
  server.on("connection", (socket: Socket) => {
    serverSockets.add(socket);
    socket.once("close", () => serverSockets.delete(socket));
  });
  server.listen(PORT, address);
  await once(server, "listening");
  servers.push(server);
}

async function collect(targets: string[], concurrency: number): Promise<EndpointRow[]> {
  const store = new SqliteStore(join(dir, `${targets.length}-${concurrency}.db`));
  const run = await store.createRun({ targets, ports: [PORT], options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  await tlsCollector.collect({ specs: targets.map(parseTarget), ports: [PORT], protocols: true }, {
    recorder, log: silentLogger, signal: new AbortController().signal, exclusions: new ExclusionList([]),
    timeouts: { connectMs: 2000, handshakeMs: 5000 }, concurrency, onProgress: () => {},
  });
  await recorder.close();
  const { endpoints } = await store.loadRun(run.id);
  await store.close();
  return endpoints;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-posture-"));
  const key = generateKeyPair({ kind: "rsa", bits: 2048 });
  const cert = buildCertificate({
    subject: [["CN", "posture.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey, dnsNames: ["posture.test"],
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000),
  });
  const credentials = { key: privateKeyPem(key.privateKey), cert: cert.pem };
  for (const [address, [minVersion, maxVersion]] of Object.entries(RANGES)) {
    // SECLEVEL=0 on the server too: OpenSSL 3 will not serve TLS 1.0/1.1 otherwise.
    const server = createTlsServer({ ...credentials, minVersion, maxVersion, ciphers: "ALL:@SECLEVEL=0" }, (s) => s.end());
    server.on("tlsClientError", () => {});
    await listen(server, address);
  }
  // A server that takes the connection and never answers a ClientHello.
  await listen(createTcpServer(() => {}), SILENT);

  await writeFile(join(dir, "key.pem"), credentials.key);
  await writeFile(join(dir, "cert.pem"), credentials.cert);
  openssl = spawn("openssl", [
    "s_server", "-accept", `${OPENSSL_TLS1}:${PORT}`, "-cert", join(dir, "cert.pem"), "-key", join(dir, "key.pem"),
    "-tls1", "-cipher", "ALL:@SECLEVEL=0", "-naccept", "100",
  ], { stdio: ["pipe", "pipe", "pipe"] });
  let said = "";
  await new Promise<void>((resolve, reject) => {
    openssl.stdout!.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes("ACCEPT")) resolve();
    });
    openssl.once("exit", (code) => reject(new Error(`openssl s_server exited with ${code}: ${said}`)));
  });
}, 60_000);

afterAll(async () => {
  openssl?.kill();
  for (const socket of serverSockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe("protocol posture of real servers", () => {
  let endpoints: EndpointRow[];
  beforeAll(async () => {
    mostOpen = 0;
    endpoints = await collect([...Object.keys(RANGES), OPENSSL_TLS1].map((a) => `${a}:${PORT}`), 2);
  }, 60_000);
  const postureOf = (address: string): ProtocolSupport | null | undefined => endpoints.find((e) => e.address === address)?.protocols;

  it.each([
    ["127.166.0.1", { TLSv1: accepted, "TLSv1.1": accepted, "TLSv1.2": accepted, "TLSv1.3": accepted }],
    ["127.166.0.2", { TLSv1: refused, "TLSv1.1": refused, "TLSv1.2": accepted, "TLSv1.3": accepted }],
    ["127.166.0.3", { TLSv1: refused, "TLSv1.1": accepted, "TLSv1.2": accepted, "TLSv1.3": refused }],
    ["127.166.0.4", { TLSv1: refused, "TLSv1.1": refused, "TLSv1.2": refused, "TLSv1.3": accepted }],
    [OPENSSL_TLS1, { TLSv1: accepted, "TLSv1.1": refused, "TLSv1.2": refused, "TLSv1.3": refused }],
  ])("%s: one verdict per version, as its server allows", (address, expected) => {
    expect(postureOf(address)).toEqual(expected);
  });

  it("keeps the ordinary handshake's result beside the posture (the best version each negotiates)", () => {
    expect(Object.fromEntries(endpoints.map((e) => [e.address, e.tlsVersion]))).toEqual({
      "127.166.0.1": "TLSv1.3", "127.166.0.2": "TLSv1.3", "127.166.0.3": "TLSv1.2", "127.166.0.4": "TLSv1.3", [OPENSSL_TLS1]: "TLSv1",
    });
  });

  it("never had more connections open than the concurrency bound (2), posture handshakes included", () => {
    // Five endpoints, five connections each: two slots in use at once, never a third.
    expect(mostOpen).toBe(2);
  });
});

describe("posture probes that cannot tell", () => {
  const signal = new AbortController().signal;

  it("a server that never answers the ClientHello: an error per version, with the timeout", async () => {
    const support = await probeProtocols(() => connectTcp(SILENT, PORT, 2000, signal), null, 300, signal);
    expect(support).toEqual({
      TLSv1: { outcome: "error", error: "no TLSv1 handshake within 300 ms" },
      "TLSv1.1": { outcome: "error", error: "no TLSv1.1 handshake within 300 ms" },
      "TLSv1.2": { outcome: "error", error: "no TLSv1.2 handshake within 300 ms" },
      "TLSv1.3": { outcome: "error", error: "no TLSv1.3 handshake within 300 ms" },
    });
  });

  it("a connection that cannot be made: the connect error, for each version", async () => {
    // Nothing listens on this port of the address; the kernel refuses at once.
    const support = await probeProtocols(() => connectTcp(SILENT, PORT + 1, 2000, signal), null, 2000, signal);
    expect(Object.values(support)).toEqual(Array(4).fill({ outcome: "error", error: "connection refused" }));
  });

  it("an interrupted scan tries no further version", async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    let connects = 0;
    const support = await probeProtocols(async () => {
      connects++;
      return { error: "not reached" };
    }, null, 2000, interrupt.signal);
    expect(connects).toBe(0);
    expect(support.TLSv1).toEqual({ outcome: "error", error: "scan interrupted before this version was tried" });
  });
});
