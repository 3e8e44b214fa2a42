// Issue 13 item 1, as one acceptance scan: `pkiscope scan` (a real child process) over the
// sample network plus hostile peers on 127.201.0.x — TLS servers that never speak, trickle a
// byte a second, send a 10 MB chain of thousands of certificates, send garbage after their
// ServerHello or reset mid-handshake; CRL distribution points that redirect to themselves,
// stream for ever (fast and slow) or serve a gzip bomb; OCSP responders answering junk or
// another certificate's genuine response. Each hostile target gets a per-target error naming
// its problem within its time and size bounds, and everything the sample network gives a scan
// of its own is in this one too, unchanged.
import { spawn } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import {
  GZIP_BOMB_INFLATED_BYTES, type HostileHttp, type HostileTlsKind, type HostileTlsPeers, startHostileHttp, startHostileTlsPeers,
} from "../../fixtures/lib/hostile-peers.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { type SampleNetwork, fetchOcspResponse, serveIdentity, startSampleNetwork } from "../../fixtures/sample-network.js";
import type { SampleIdentity } from "../../fixtures/sample-pki.js";
import type { Report } from "../../src/reports/report-model.js";

const PREFIX = "127.201.0";
const PORT = 9443;
const CONNECT_MS = 1000;
const HANDSHAKE_MS = 3000;
const FETCH_MS = 3000;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
/** Far above any loopback fetch: how long a CRL or OCSP answer took varies run to run, and no finding may. */
const SLOW_MS = 60_000;
/** Generous: a shared machine's timers fire late; what matters is that the bound ends the wait. */
const LATE = 3;
const HOSTILE_TLS_ADDRESSES = [100, 101, 102, 103, 104].map((n) => `${PREFIX}.${n}`);
const HOSTILE_BLOCK = `${PREFIX}.96/28`;
const LONG_CHAIN_ADDRESS = `${PREFIX}.107`;
/** Copies of the issuing CA after the long chain's leaf: about 80 KB, under OpenSSL's 100 KiB. */
const LONG_CHAIN_COPIES = 150;

interface CliScan {
  code: number | null;
  report: Report;
  elapsedMs: number;
  maxRssKib: number;
  stderr: string;
}

let dir: string;
let network: SampleNetwork;
let http: HostileHttp;
let tlsPeers: HostileTlsPeers;
const closers: (() => Promise<void>)[] = [];
/** Served leaves of the sample issuing CA naming the hostile revocation services. */
let hostileCrlLeaf: SampleIdentity;
let wrongOcspLeaf: SampleIdentity;
let longChainLeaf: SampleIdentity;
let alone: CliScan;
let mixed: CliScan;

/** The CLI as users run it, under /usr/bin/time for its peak RSS. */
async function scanCli(name: string, targets: string[]): Promise<CliScan> {
  const out = join(dir, name);
  const args = [
    "-f", "pkiscope-max-rss-kib=%M", process.execPath, "--import", "tsx", "src/cli/main.ts", "scan",
    "--targets", targets.join(","), "--ports", String(PORT), "--trust-anchors", network.trustAnchorsPath,
    "--connect-timeout", String(CONNECT_MS), "--handshake-timeout", String(HANDSHAKE_MS),
    "--fetch-timeout", String(FETCH_MS), "--fetch-max-bytes", String(FETCH_MAX_BYTES), "--slow-ms", String(SLOW_MS),
    "--db", join(dir, `${name}.db`), "--out", out, "--format", "json", "-q",
  ];
  const started = performance.now();
  const child = spawn("/usr/bin/time", args, { cwd: new URL("../..", import.meta.url).pathname, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const elapsedMs = performance.now() - started;
  const rss = /pkiscope-max-rss-kib=(\d+)/.exec(stderr);
  if (!rss) throw new Error(`no peak RSS from /usr/bin/time: ${stderr}`);
  const report = JSON.parse(await readFile(join(out, "report.json"), "utf8").catch(() => {
    throw new Error(`pkiscope scan wrote no report.json (exit ${code}): ${stderr}`);
  })) as Report;
  return { code, report, elapsedMs, maxRssKib: Number(rss[1]), stderr };
}

function leafNaming(name: string, crlDistributionPoints: string[], ocspUrls: string[]): SampleIdentity {
  const issuing = network.pki.issuing;
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const cert = buildCertificate({
    subject: [["O", "pkiscope sample"], ["CN", `${name}.sample.test`]], publicKey: key.publicKey,
    issuer: { certificateDer: issuing.der, privateKey: issuing.privateKey }, dnsNames: [`${name}.sample.test`],
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 60 * 86_400_000),
    extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"], crlDistributionPoints, ocspUrls,
  });
  return { name, description: name, chain: [{ ...cert, privateKey: key.privateKey }, issuing], expectedRules: [] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-hostile-"));
  network = await startSampleNetwork({ prefix: PREFIX, port: PORT, workDir: join(dir, "net") });
  closers.push(() => network.close());
  // A genuine, signed OCSP response, about the healthy P-256 leaf: wrong for any other certificate.
  const healthy = network.pki.identities.find((i) => i.name === "healthy-p256")!;
  const goodUrl = /OCSP - URI:(\S+)/.exec(new X509Certificate(healthy.chain[0]!.der).infoAccess ?? "")![1]!;
  http = await startHostileHttp(`${PREFIX}.120`, await fetchOcspResponse(healthy, network.pki.issuing, goodUrl));
  closers.push(() => http.close());
  tlsPeers = await startHostileTlsPeers(HOSTILE_TLS_ADDRESSES, PORT, network.pki.root.der);
  closers.push(() => tlsPeers.close());
  hostileCrlLeaf = leafNaming("hostile-crls", [http.redirectLoop, http.endlessStream, http.endlessTrickle, http.gzipBomb], [http.ocspJunk]);
  wrongOcspLeaf = leafNaming("wrong-ocsp", [], [http.ocspWrong]);
  // Just under OpenSSL's cap: a leaf and LONG_CHAIN_COPIES copies of its issuing CA.
  const longChain = leafNaming("long-chain", [], []);
  longChainLeaf = { ...longChain, chain: [longChain.chain[0]!, ...Array.from({ length: LONG_CHAIN_COPIES }, () => network.pki.issuing)] };
  closers.push(
    await serveIdentity(hostileCrlLeaf, `${PREFIX}.105`, PORT), await serveIdentity(wrongOcspLeaf, `${PREFIX}.106`, PORT),
    await serveIdentity(longChainLeaf, LONG_CHAIN_ADDRESS, PORT),
  );

  alone = await scanCli("alone", [network.cidr]);
  mixed = await scanCli("mixed", [network.cidr, HOSTILE_BLOCK]);
}, 240_000);

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const endpointOf = (kind: HostileTlsKind) => {
  const peer = tlsPeers.peers.find((p) => p.kind === kind)!;
  const endpoint = mixed.report.inventory.endpoints.find((e) => e.id === `${peer.address}:${PORT}`);
  if (!endpoint) throw new Error(`no endpoint recorded for the ${kind} peer`);
  return endpoint;
};
const crlAt = (url: string) => {
  const crl = mixed.report.inventory.crls.find((c) => c.url === url);
  if (!crl) throw new Error(`no CRL recorded for ${url}`);
  return crl;
};
const sha256Of = (identity: SampleIdentity): string => createHash("sha256").update(identity.chain[0]!.der).digest("hex");
const onHostileAddress = (endpointId: string, hostile: Set<string>): boolean => hostile.has(endpointId.split(":")[0]!);

describe("a scan among hostile servers", () => {
  it("completes, exit 0, both scans", () => {
    expect(alone.code, alone.stderr).toBe(0);
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(mixed.report.scan.complete).toBe(true);
  });

  it("ends a peer that accepts and never speaks, and one trickling a byte a second, at the handshake timeout", () => {
    for (const kind of ["silent", "slowloris"] as const) {
      const endpoint = endpointOf(kind);
      expect(endpoint, kind).toMatchObject({ status: "timeout", error: `TLS handshake did not complete within ${HANDSHAKE_MS} ms`, chain: [] });
      expect(endpoint.durationMs, kind).toBeGreaterThanOrEqual(HANDSHAKE_MS - 5);
      expect(endpoint.durationMs, kind).toBeLessThan(LATE * HANDSHAKE_MS);
    }
  });

  it("refuses a 10 MB Certificate message of thousands of certificates at OpenSSL's message cap (max_cert_list, 100 KiB)", () => {
    const peer = tlsPeers.peers.find((p) => p.kind === "huge-chain")!;
    expect(peer.certificates).toBeGreaterThan(10_000);
    const endpoint = endpointOf("huge-chain");
    expect(endpoint).toMatchObject({ status: "error", chain: [] });
    expect(endpoint.error).toMatch(/^TLS handshake failed: .*excessive message size/);
    expect(endpoint.durationMs).toBeLessThan(LATE * HANDSHAKE_MS);
  });

  it("records a chain of a hundred and fifty certificates under that cap whole, in order", () => {
    const endpoint = mixed.report.inventory.endpoints.find((e) => e.id === `${LONG_CHAIN_ADDRESS}:${PORT}`)!;
    expect(endpoint).toMatchObject({ status: "tls", error: null });
    const issuing = createHash("sha256").update(network.pki.issuing.der).digest("hex");
    expect(endpoint.chain).toEqual([sha256Of(longChainLeaf), ...Array.from({ length: LONG_CHAIN_COPIES }, () => issuing)]);
  });

  it("records garbage after a valid ServerHello as a failed handshake, quickly", () => {
    const endpoint = endpointOf("garbage-after-hello");
    expect(endpoint).toMatchObject({ status: "error", chain: [] });
    expect(endpoint.error).toMatch(/^TLS handshake failed: .*wrong version number/);
    expect(endpoint.durationMs).toBeLessThan(HANDSHAKE_MS);
  });

  it("records a reset mid-handshake as a reset, quickly", () => {
    const endpoint = endpointOf("reset-mid-handshake");
    expect(endpoint).toMatchObject({ status: "error", chain: [] });
    // Node 20's resetAndDestroy() on the peer sometimes goes out as a FIN (seen once in a loaded CI
    // run, 100 ms after the write): the probe names a reset when an RST arrives, a close otherwise.
    expect(endpoint.error).toMatch(/^TLS handshake failed: (the server reset the connection \(ECONNRESET\)|Client network socket disconnected before secure TLS connection was established)$/);
    expect(endpoint.durationMs).toBeLessThan(HANDSHAKE_MS);
  });

  it("does not follow a CRL distribution point's redirect loop: one request, the redirect named", () => {
    expect(crlAt(http.redirectLoop)).toMatchObject({ httpStatus: 302, crl: null, error: "HTTP 302: redirect to /loop.crl not followed" });
    expect(http.hits.filter((h) => h === "/loop.crl")).toHaveLength(1);
  });

  it("stops an endless CRL stream at --fetch-max-bytes, and an endless trickle at --fetch-timeout", () => {
    const stream = crlAt(http.endlessStream);
    expect(stream).toMatchObject({ crl: null, error: `response exceeds the ${FETCH_MAX_BYTES}-byte cap` });
    expect(stream.latencyMs).toBeLessThan(FETCH_MS);
    const trickle = crlAt(http.endlessTrickle);
    expect(trickle).toMatchObject({ crl: null, error: `no complete answer within ${FETCH_MS} ms` });
    expect(trickle.latencyMs).toBeGreaterThanOrEqual(FETCH_MS - 5);
    expect(trickle.latencyMs).toBeLessThan(LATE * FETCH_MS);
  });

  it("never inflates a gzip bomb: the encoding it did not ask for is named and the body left unread", () => {
    expect(crlAt(http.gzipBomb)).toMatchObject({ crl: null, error: expect.stringMatching(/Content-Encoding gzip/) });
    expect(crlAt(http.gzipBomb).latencyMs).toBeLessThan(FETCH_MS);
    expect(http.hits).toContain("/bomb.crl");
    // The whole scan's peak is below what the bomb inflates to.
    expect(mixed.maxRssKib * 1024).toBeLessThan(GZIP_BOMB_INFLATED_BYTES);
  });

  it("raises crl-unreachable for each hostile distribution point, naming the leaf's endpoint", () => {
    for (const url of [http.redirectLoop, http.endlessStream, http.endlessTrickle, http.gzipBomb]) {
      const finding = mixed.report.findings.find((f) => f.ruleId === "crl-unreachable" && f.url === url);
      expect(finding, url).toMatchObject({ endpoints: [`${PREFIX}.105:${PORT}`], evidence: { error: crlAt(url).error } });
    }
  });

  it("judges an OCSP answer of junk (HTML), and another certificate's genuine answer, as problems", () => {
    const junk = mixed.report.inventory.ocsp.find((o) => o.url === http.ocspJunk)!;
    expect(junk).toMatchObject({ certificate: sha256Of(hostileCrlLeaf), certStatus: null });
    expect(junk.problems).toContainEqual(expect.stringMatching(/^malformed: /));
    const wrong = mixed.report.inventory.ocsp.find((o) => o.url === http.ocspWrong)!;
    expect(wrong).toMatchObject({ certificate: sha256Of(wrongOcspLeaf) });
    expect(wrong.problems).toContain("no response for this certificate");
    for (const leaf of [hostileCrlLeaf, wrongOcspLeaf]) {
      expect(mixed.report.findings.some((f) => f.ruleId === "ocsp-bad-response" && f.certificate === sha256Of(leaf)), leaf.name).toBe(true);
    }
  });

  it("keeps every result of the sample network exactly as a scan of it alone gives", () => {
    const hostileAddresses = new Set([...HOSTILE_TLS_ADDRESSES, `${PREFIX}.105`, `${PREFIX}.106`, LONG_CHAIN_ADDRESS]);
    const hostileLeaves = new Set([hostileCrlLeaf, wrongOcspLeaf, longChainLeaf].map(sha256Of));
    const hostileUrls = new Set([http.redirectLoop, http.endlessStream, http.endlessTrickle, http.gzipBomb, http.ocspJunk, http.ocspWrong]);
    const endpoints = (r: Report) =>
      r.inventory.endpoints
        .filter((e) => !hostileAddresses.has(e.address))
        .map(({ id, status, error, tlsVersion, cipher, chain, stapledOcsp }) => ({ id, status, error, tlsVersion, cipher, chain, stapledOcsp }));
    const certificates = (r: Report) =>
      r.inventory.certificates.filter((c) => !hostileLeaves.has(c.sha256)).map(({ sha256, endpoints: at, trustedPath }) => ({ sha256, at: at.filter((e) => !onHostileAddress(e, hostileAddresses)), trustedPath }));
    const findings = (r: Report) =>
      r.findings
        .filter((f) => !(f.certificate && hostileLeaves.has(f.certificate)) && !(f.url && hostileUrls.has(f.url)) && !f.endpoints.some((e) => onHostileAddress(e, hostileAddresses)))
        .map(({ ruleId, severity, certificate, endpoints: at, url, message }) => ({ ruleId, severity, certificate, at, url, message }));
    const crls = (r: Report) =>
      r.inventory.crls.filter((c) => !hostileUrls.has(c.url)).map(({ url, error, httpStatus, crl, signature, revoked, covers }) => ({
        url, error, httpStatus, crl, signature, revoked, covers: covers?.filter((s) => !hostileLeaves.has(s)),
      }));
    const ocsp = (r: Report) =>
      r.inventory.ocsp.filter((o) => !hostileLeaves.has(o.certificate)).map(({ url, source, certificate, error, certStatus, signer, signatureValid, problems }) => ({
        url, source, certificate, error, certStatus, signer, signatureValid, problems,
      }));
    const views: Record<string, (r: Report) => unknown[]> = { endpoints, certificates, findings, crls, ocsp };
    const sorted = (items: unknown[]): unknown[] => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    for (const [what, view] of Object.entries(views)) {
      const expected = sorted(view(alone.report));
      expect(expected.length, what).toBeGreaterThan(2);
      expect(sorted(view(mixed.report)), what).toEqual(expected);
    }
  });

  it("stays within its time and memory bounds", () => {
    // Hostile peers wait in parallel with everything else: at most a few timeouts more than the scan alone.
    expect(mixed.elapsedMs).toBeLessThan(alone.elapsedMs + LATE * (HANDSHAKE_MS + FETCH_MS));
    // A 10 MB chain or a 1 GiB inflation held in memory would show here.
    expect(mixed.maxRssKib).toBeLessThan(alone.maxRssKib + 128 * 1024);
  });
});
