// The default port list against real servers on their standard ports: smtp-server on 25 and 587
// (STARTTLS) and 465 (SMTPS), Dovecot on 143 and 110 (STARTTLS) and 993 and 995 (TLS at once),
// vsftpd on 21 (AUTH TLS), slapd on 389 (StartTLS) and 636 (LDAPS), and Node TLS servers on
// 443 and 8443, each on an address of its own in 127.181.0.0/24 (the tests run as root, so ports below
// 1024 bind; only these addresses, so the Samba DC's 127.0.0.1:389 and :636 stay untouched).
// `pkiscope scan` gets the addresses with no --ports and no --starttls: each port must be probed
// with the protocol the README's table gives it, and every chain read exactly as served; with
// --protocols, each pinned handshake must come after the port's preamble, spoken again.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Server, createServer as createTlsServer } from "node:tls";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDovecot, startSlapd, startVsftpd } from "../../fixtures/lib/starttls-mail-servers.js";
import { type RunningServer, type ServedChain, accepts, startedTogether, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { DEFAULT_PORTS } from "../../src/engine/defaults.js";
import type { TlsProtocolVersion } from "../../src/model/types.js";
import type { Report } from "../../src/reports/report-model.js";
import { type CliResult, runInProcess } from "../cli/cli-helpers.js";

const ADDRESS = { smtp: "127.181.0.1", dovecot: "127.181.0.2", vsftpd: "127.181.0.3", slapd: "127.181.0.4", https: "127.181.0.5" } as const;
type ServerName = keyof typeof ADDRESS;

/** Every endpoint the scan must find: server, port, and the protocol spoken before TLS (null: TLS at once). */
const EXPECTED: Array<[ServerName, number, string | null]> = [
  ["smtp", 25, "smtp"], ["smtp", 587, "smtp"], ["smtp", 465, null],
  ["dovecot", 143, "imap"], ["dovecot", 110, "pop3"], ["dovecot", 993, null], ["dovecot", 995, null],
  ["vsftpd", 21, "ftp"],
  ["slapd", 389, "ldap"], ["slapd", 636, null],
  ["https", 443, null], ["https", 8443, null],
];

let root: string;
const chains = new Map<ServerName, ServedChain>();
const running: RunningServer[] = [];
const smtpServers: SMTPServer[] = [];
const httpsServers: Server[] = [];
let scan: CliResult;
let report: Report;

/** smtp-server on `port`: STARTTLS offered, or (secure) TLS from the first byte as SMTPS. */
async function startSmtp(port: number, tls: ServedChain, secure: boolean): Promise<void> {
  const server = new SMTPServer({ logger: false, authOptional: true, banner: "pkiscope default ports", secure, key: await readFile(tls.keyFile), cert: await readFile(tls.certFile) });
  // The probe hangs up once it has the chain; SMTPS reports that as an error event.
  server.on("error", () => {});
  server.listen(port, ADDRESS.smtp);
  await once(server.server, "listening");
  smtpServers.push(server);
}

beforeAll(async () => {
  // A system Dovecot, slapd or vsftpd (started by apt where systemd runs) listens on every
  // address: our servers would fail to bind while the readiness check saw theirs.
  const taken = [];
  for (const [server, port] of EXPECTED) if (await accepts(ADDRESS[server], port)) taken.push(`${ADDRESS[server]}:${port}`);
  if (taken.length > 0) throw new Error(`already taken before this test started its servers: ${taken.join(", ")} (a system service on every address? stop it)`);
  root = await mkdtemp(join(tmpdir(), "pkiscope-default-ports-"));
  const dirFor = (name: string): Promise<string> => mkdtemp(join(root, `${name}-`));
  for (const [server, address] of Object.entries(ADDRESS) as Array<[ServerName, string]>) chains.set(server, await writeServedChain(await dirFor(`${server}-chain`), address));
  running.push(...(await startedTogether([
    startDovecot({ dir: await dirFor("dovecot"), address: ADDRESS.dovecot, tls: chains.get("dovecot")!, imapPort: 143, pop3Port: 110, imapsPort: 993, pop3sPort: 995 }),
    startVsftpd({ dir: await dirFor("vsftpd"), address: ADDRESS.vsftpd, tls: chains.get("vsftpd")!, port: 21 }),
    startSlapd({ dir: await dirFor("slapd"), address: ADDRESS.slapd, tls: chains.get("slapd")!, port: 389, ldapsPort: 636 }),
  ])));
  await startSmtp(25, chains.get("smtp")!, false);
  await startSmtp(587, chains.get("smtp")!, false);
  await startSmtp(465, chains.get("smtp")!, true);
  const https = chains.get("https")!;
  for (const port of [443, 8443]) {
    const server = createTlsServer({ key: await readFile(https.keyFile), cert: await readFile(https.certFile) }, (s) => s.end());
    server.on("tlsClientError", () => {});
    server.listen(port, ADDRESS.https);
    await once(server, "listening");
    httpsServers.push(server);
  }

  ({ scan, report } = await scanDefaultPorts("plain"));
}, 120_000);

/** `pkiscope scan` of the servers' addresses with no --ports and no --starttls, and its report.json. */
async function scanDefaultPorts(name: string, ...extra: string[]): Promise<{ scan: CliResult; report: Report }> {
  const out = join(root, `report-${name}`);
  const scan = await runInProcess([
    "scan", "-q", "--db", join(root, `${name}.db`), "--out", out, "--no-revocation", "--no-fetch", "--format", "json",
    // Generous bounds for a loaded machine; the STARTTLS step timeout follows the handshake's.
    "--connect-timeout", "10000", "--handshake-timeout", "20000",
    "--targets", `${ADDRESS.smtp}-${ADDRESS.https}`, ...extra,
  ]);
  return { scan, report: JSON.parse(await readFile(join(out, "report.json"), "utf8")) as Report };
}

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await Promise.all(smtpServers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  await Promise.all(httpsServers.map((s) => new Promise((r) => s.close(r))));
  if (root) await rm(root, { recursive: true, force: true });
});

const sha256 = (der: Buffer): string => createHash("sha256").update(der).digest("hex");
const endpoint = (id: string) => report.inventory.endpoints.find((e) => e.id === id);

describe("pkiscope scan on the default ports", () => {
  it("completes over the default port list", () => {
    expect(scan).toMatchObject({ code: 0, stderr: "" });
    expect(report.scan.complete).toBe(true);
    expect(report.scan.ports).toEqual([...DEFAULT_PORTS]);
  });

  it.each(EXPECTED)("%s on port %i: probed with %s, TLS, the chain exactly as served (leaf, intermediate)", (server, port, protocol) => {
    expect(endpoint(`${ADDRESS[server]}:${port}`)).toMatchObject({ status: "tls", starttls: protocol, error: null, chain: chains.get(server)!.sentDer.map(sha256) });
  });

  it("finds those endpoints and nothing on the default ports where nothing listens", () => {
    expect(report.inventory.endpoints.map((e) => e.id).sort()).toEqual(EXPECTED.map(([server, port]) => `${ADDRESS[server]}:${port}`).sort());
  });
});

describe("with --protocols", () => {
  it("speaks each port's preamble again before every pinned handshake: the version each endpoint negotiated is accepted", async () => {
    const posture = await scanDefaultPorts("protocols", "--protocols");
    expect(posture.scan).toMatchObject({ code: 0, stderr: "" });
    const negotiated = Object.fromEntries(posture.report.inventory.endpoints.map((e) => [e.id, [e.starttls, e.tlsVersion && e.protocols?.[e.tlsVersion as TlsProtocolVersion]?.outcome]]));
    expect(negotiated).toEqual(Object.fromEntries(EXPECTED.map(([server, port, protocol]) => [`${ADDRESS[server]}:${port}`, [protocol, "accepted"]])));
    // Without its preamble a pinned ClientHello meets a banner (read as a bad record: refused), so
    // the negotiated version's "accepted" is the proof; and no version went untold (a connect or
    // preamble that failed on the way is an error).
    for (const e of posture.report.inventory.endpoints) {
      expect(Object.values(e.protocols!).filter((r) => r.outcome === "error"), e.id).toEqual([]);
    }
  }, 120_000);
});
