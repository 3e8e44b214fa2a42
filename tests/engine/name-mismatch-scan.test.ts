// name-mismatch over a real scan: TLS listeners on 127.0.0.1 probed as "localhost" (the one name
// that resolves to loopback without DNS), one serving a certificate for localhost and one for
// another name, and the second also probed by address, where no name was asked for.
import type { KeyObject } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type Server, createServer as createTlsServer } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { freePorts } from "../../fixtures/sample-network.js";
import { DEFAULT_FETCH, DEFAULT_REVOCATION, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { type ScanOutcome, runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { parseTarget } from "../../src/targets/targets.js";

const DAY_MS = 86_400_000;
let dir: string;
const servers: Server[] = [];
let localhostPort: number;
let otherNamePort: number;
let outcome: ScanOutcome;

/** A TLS listener on 127.0.0.1 serving a leaf for `dnsName` issued by `root`. */
async function serveLeafFor(dnsName: string, root: { der: Buffer; privateKey: KeyObject }, port: number): Promise<void> {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const leaf = buildCertificate({
    subject: [["CN", dnsName]], publicKey: key.publicKey, issuer: { certificateDer: root.der, privateKey: root.privateKey },
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 60 * DAY_MS),
    isCA: false, dnsNames: [dnsName], extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"],
  });
  const server = createTlsServer({ key: privateKeyPem(key.privateKey), cert: leaf.pem });
  server.on("tlsClientError", () => {});
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-names-"));
  const rootKey = generateKeyPair({ kind: "ec", curve: "P-256" });
  const root = buildCertificate({
    subject: [["CN", "Names Root CA"]], publicKey: rootKey.publicKey, selfSignKey: rootKey.privateKey,
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 3650 * DAY_MS), isCA: true, keyUsage: ["keyCertSign", "cRLSign"],
  });
  const anchors = join(dir, "anchors.pem");
  await writeFile(anchors, root.pem);
  [localhostPort, otherNamePort] = (await freePorts(2)) as [number, number];
  await serveLeafFor("localhost", { der: root.der, privateKey: rootKey.privateKey }, localhostPort);
  await serveLeafFor("www.example.test", { der: root.der, privateKey: rootKey.privateKey }, otherNamePort);

  const targetTexts = [`localhost:${localhostPort}`, `localhost:${otherNamePort}`, `127.0.0.1:${otherNamePort}`];
  const store = new SqliteStore(join(dir, "store.db"));
  outcome = await runScan(store, {
    targetTexts, specs: targetTexts.map(parseTarget), ports: [], exclude: [], files: [], trustAnchors: anchors, concurrency: 4,
    timeouts: { connectMs: 2000, handshakeMs: 5000 }, fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: DEFAULT_REVOCATION,
    thresholds: DEFAULT_THRESHOLDS,
  }, { log: silentLogger, signal: new AbortController().signal });
  await store.close();
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe("name-mismatch in a scan", () => {
  it("probes each target: two by name, one by address", () => {
    expect(outcome.view.endpoints.map((e) => e.id).sort()).toEqual([
      `127.0.0.1:${localhostPort}#localhost`, `127.0.0.1:${otherNamePort}`, `127.0.0.1:${otherNamePort}#localhost`,
    ].sort());
  });

  it("reports the certificate served for localhost that names another host, at the named endpoint only", () => {
    const findings = outcome.conclusions.findings.filter((f) => f.ruleId === "name-mismatch");
    expect(findings.map((f) => ({ subject: outcome.view.bySha.get(f.certificate!)?.record.subject, endpoints: f.endpoints, severity: f.severity })))
      .toEqual([{ subject: "CN=www.example.test", endpoints: [`127.0.0.1:${otherNamePort}#localhost`], severity: "high" }]);
    expect(findings[0]!.message).toContain("served for localhost but does not cover it (it names DNS:www.example.test)");
    expect(findings[0]!.evidence).toMatchObject({ name: "localhost", presented: ["DNS:www.example.test"] });
  });

  it("examines the two endpoints probed by name", () => {
    expect(outcome.conclusions.ruleOutcomes.find((o) => o.ruleId === "name-mismatch"))
      .toMatchObject({ status: "evaluated", examined: 2, findings: 1 });
  });
});
