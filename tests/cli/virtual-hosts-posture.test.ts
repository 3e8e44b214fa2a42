// Virtual hosts and protocol posture through `pkiscope scan`, against real Node TLS servers on
// 127.166.1.x. One server picks its certificate by SNI (SNICallback): www and api get their own
// leaves, any other name the default one, which covers neither. It accepts TLS 1.0 to 1.3; the
// other server only TLS 1.2 and 1.3. The scan names targets as name@address and in an
// --sni-names file (one name with its address, one bare), with --protocols.
import type { KeyObject } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Server, createSecureContext, createServer as createTlsServer } from "node:tls";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import type { Report } from "../../src/reports/report-model.js";
import { type CliResult, runInProcess } from "./cli-helpers.js";

const VHOSTS = "127.166.1.1";
const MODERN = "127.166.1.2";
const PORT = 9672;
const DAY_MS = 86_400_000;

let dir: string;
const servers: Server[] = [];
let scan: CliResult;
let report: Report;

function issue(cn: string, dnsNames: string[], root: { der: Buffer; privateKey: KeyObject }) {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const leaf = buildCertificate({
    subject: [["CN", cn]], publicKey: key.publicKey, issuer: { certificateDer: root.der, privateKey: root.privateKey },
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 60 * DAY_MS),
    isCA: false, dnsNames, extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"],
  });
  return { key: privateKeyPem(key.privateKey), cert: leaf.pem };
}

async function serve(address: string, options: Parameters<typeof createTlsServer>[0]): Promise<void> {
  const server = createTlsServer({ ciphers: "ALL:@SECLEVEL=0", ...options }, (s) => s.end());
  server.on("tlsClientError", () => {});
  server.listen(PORT, address);
  await once(server, "listening");
  servers.push(server);
}

const endpoint = (id: string) => report.inventory.endpoints.find((e) => e.id === id);
const leafCn = (id: string) => report.inventory.certificates.find((c) => c.sha256 === endpoint(id)?.chain[0])?.subject;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-vhosts-"));
  const rootKey = generateKeyPair({ kind: "ec", curve: "P-256" });
  const root = buildCertificate({
    subject: [["CN", "Virtual Hosts Root CA"]], publicKey: rootKey.publicKey, selfSignKey: rootKey.privateKey,
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 3650 * DAY_MS), isCA: true, keyUsage: ["keyCertSign", "cRLSign"],
  });
  const signer = { der: root.der, privateKey: rootKey.privateKey };
  const byName = {
    "www.example.test": issue("www leaf", ["www.example.test"], signer),
    "api.example.test": issue("api leaf", ["api.example.test"], signer),
  };
  const contexts = new Map(Object.entries(byName).map(([name, c]) => [name, createSecureContext({ ...c, ciphers: "ALL:@SECLEVEL=0", minVersion: "TLSv1" })]));
  await serve(VHOSTS, {
    ...issue("default leaf", ["default.example.test"], signer), minVersion: "TLSv1", maxVersion: "TLSv1.3",
    SNICallback: (name, done) => done(null, contexts.get(name)),
  });
  await serve(MODERN, { ...issue("modern leaf", ["modern.example.test"], signer), minVersion: "TLSv1.2" });

  await writeFile(join(dir, "anchors.pem"), root.pem);
  await writeFile(join(dir, "names.txt"), `# virtual hosts of ${VHOSTS}\napi.example.test ${VHOSTS}:${PORT}\n\nmail.example.test   # asked at every address target\n`);
  scan = await runInProcess([
    "scan", "-q", "--db", join(dir, "store.db"), "--out", join(dir, "report"), "--trust-anchors", join(dir, "anchors.pem"), "--no-revocation",
    "--targets", `${VHOSTS}:${PORT},www.example.test@${VHOSTS}:${PORT},${MODERN}:${PORT}`, "--sni-names", join(dir, "names.txt"), "--protocols",
  ]);
  report = JSON.parse(await readFile(join(dir, "report", "report.json"), "utf8")) as Report;
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe("virtual hosts", () => {
  it("probes each address once by address and once per name asked at it", () => {
    expect(scan.stderr).toBe("");
    expect(scan.code).toBe(0);
    expect(report.inventory.endpoints.map((e) => e.id).sort()).toEqual([
      `${VHOSTS}:${PORT}`, `${VHOSTS}:${PORT}#api.example.test`, `${VHOSTS}:${PORT}#mail.example.test`, `${VHOSTS}:${PORT}#www.example.test`,
      `${MODERN}:${PORT}`, `${MODERN}:${PORT}#mail.example.test`,
    ].sort());
  });

  it("records the chain each name was served", () => {
    expect(leafCn(`${VHOSTS}:${PORT}#www.example.test`)).toBe("CN=www leaf");
    expect(leafCn(`${VHOSTS}:${PORT}#api.example.test`)).toBe("CN=api leaf");
    expect(leafCn(`${VHOSTS}:${PORT}#mail.example.test`)).toBe("CN=default leaf");
    expect(leafCn(`${VHOSTS}:${PORT}`)).toBe("CN=default leaf");
    expect(endpoint(`${VHOSTS}:${PORT}#www.example.test`)?.chain).toHaveLength(1);
  });

  it("reports name-mismatch where a name was answered with a certificate that does not cover it, and only there", () => {
    const mismatches = report.findings.filter((f) => f.ruleId === "name-mismatch");
    // One finding per certificate and name: the two servers' default leaves are two certificates.
    expect(mismatches.map((f) => ({ name: f.evidence.name, endpoints: f.endpoints })).sort((a, b) => a.endpoints[0]!.localeCompare(b.endpoints[0]!))).toEqual([
      { name: "mail.example.test", endpoints: [`${VHOSTS}:${PORT}#mail.example.test`] },
      { name: "mail.example.test", endpoints: [`${MODERN}:${PORT}#mail.example.test`] },
    ]);
  });

  it("refuses a names file with a bad line: exit 2, naming the file and line", async () => {
    await writeFile(join(dir, "bad-names.txt"), "www.example.test 127.166.1.1\nwww.example.test 127.166.1.1 extra\n");
    const bad = await runInProcess(["scan", "--db", join(dir, "bad.db"), "--no-report", "--targets", VHOSTS, "--sni-names", join(dir, "bad-names.txt")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(dir, "bad-names.txt")}:2: expected "name" or "name address", got 3 fields`);
  });
});

describe("protocol posture", () => {
  const LEGACY = { TLSv1: { outcome: "accepted" }, "TLSv1.1": { outcome: "accepted" }, "TLSv1.2": { outcome: "accepted" }, "TLSv1.3": { outcome: "accepted" } };
  const MODERN_ONLY = { TLSv1: { outcome: "refused" }, "TLSv1.1": { outcome: "refused" }, "TLSv1.2": { outcome: "accepted" }, "TLSv1.3": { outcome: "accepted" } };

  it("gives every endpoint its posture in report.json, which validates against docs/report.schema.json", () => {
    expect(endpoint(`${VHOSTS}:${PORT}#www.example.test`)?.protocols).toEqual(LEGACY);
    expect(endpoint(`${MODERN}:${PORT}`)?.protocols).toEqual(MODERN_ONLY);
    const schema = JSON.parse(readFileSync(new URL("../../docs/report.schema.json", import.meta.url), "utf8")) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it("raises legacy-protocol (high: TLS 1.0) on every endpoint of the server that accepts it, none on the modern one", () => {
    const legacy = report.findings.filter((f) => f.ruleId === "legacy-protocol");
    expect(legacy.map((f) => f.endpoints[0]).sort()).toEqual([
      `${VHOSTS}:${PORT}`, `${VHOSTS}:${PORT}#api.example.test`, `${VHOSTS}:${PORT}#mail.example.test`, `${VHOSTS}:${PORT}#www.example.test`,
    ].sort());
    expect(new Set(legacy.map((f) => f.severity))).toEqual(new Set(["high"]));
  });

  it("fails agility's no-legacy-protocols criterion on tls.legacy-protocol-share, citing the endpoints, and caps security at level 1", () => {
    const criterion = report.maturity!.categories.agility.criteria.find((c) => c.id === "agility.no-legacy-protocols")!;
    expect(criterion).toMatchObject({ status: "failed", metrics: { "tls.legacy-protocol-share": 4 / 6 } });
    expect(criterion.evidence.map((e) => e.id).sort()).toEqual(report.findings.filter((f) => f.ruleId === "legacy-protocol").map((f) => f.endpoints[0]).sort());
    const security = report.maturity!.categories.security;
    expect(security.caps.map((c) => c.reason)).toEqual(expect.arrayContaining([expect.stringContaining("TLS 1.0 or 1.1")]));
    expect(security.level === null || security.level <= 1).toBe(true);
  });

  it("shows the posture in report.html", async () => {
    const page = await readFile(join(dir, "report", "report.html"), "utf8");
    expect(page).toContain('<span class="pill">1 yes</span> <span class="pill">1.1 yes</span>');
    expect(page).toContain('<span class="pill">1 no</span> <span class="pill">1.1 no</span> <span class="pill">1.2 yes</span>');
  });
});
