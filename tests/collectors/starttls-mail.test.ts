// STARTTLS through the TLS collector for SMTP, IMAP, POP3, FTP and LDAP: one sweep over real
// servers, each with TLS and without (Dovecot for IMAP and POP3, vsftpd, OpenLDAP slapd, and for
// SMTP the smtp-server package: a real SMTP implementation that runs in the test process, where
// Postfix would need its master daemon, its own system user and queue tree set up as root), and
// over hand-written peers that lie or stall, since no real server does that on purpose. The
// servers listen on high ports, so the sweep names each port's protocol (--starttls PORT=PROTO);
// a second pass names them by target scheme, and a whole scan shows them in its reports. Chains
// are stored exactly as sent, refusals are no-starttls with the server's words, lies are errors,
// stalls time out (an interrupt ends them too), and the rest completes.
import { createHash } from "node:crypto";
import { once, setMaxListeners } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsCollectorOptions } from "../../collectors/tls/index.js";
import { tlsCollector } from "../../collectors/tls/index.js";
import { probeTls } from "../../collectors/tls/probe.js";
import { startTlsSpecs } from "../../collectors/tls/starttls/index.js";
import { startDovecot, startSlapd, startVsftpd } from "../../fixtures/lib/starttls-mail-servers.js";
import { type RunningServer, type ServedChain, startedTogether, writeServedChain } from "../../fixtures/lib/starttls-servers.js";
import { type ScanCommandOptions, buildScanPlan } from "../../src/cli/scan-command.js";
import { runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { renderHtml } from "../../src/reports/html.js";
import { buildReport } from "../../src/reports/report-model.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import type { EndpointRow } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { ExclusionList, parseTarget } from "../../src/targets/targets.js";

const PORT = { imap: 10143, pop3: 10110, ftp: 10021, ldap: 10389, smtp: 10025 } as const;
const BY_PORT = Object.fromEntries(Object.entries(PORT).map(([name, port]) => [port, name]));
/** Real servers: each with TLS at .1 of its block and without at .2. */
const TLS = { dovecot: "127.160.1.1", vsftpd: "127.160.2.1", slapd: "127.160.3.1", smtp: "127.160.4.1" } as const;
const PLAIN = { dovecot: "127.160.1.2", vsftpd: "127.160.2.2", slapd: "127.160.3.2", smtp: "127.160.4.2" } as const;
/** Hand-written peers on the SMTP, IMAP, POP3 and LDAP ports. */
const LIAR = "127.160.9.1";
const STALLER = "127.160.9.2";
const DRIPPER = "127.160.9.3";
const STEP_MS = 1500;

let root: string;
const running: RunningServer[] = [];
const listeners: Server[] = [];
const smtpServers: SMTPServer[] = [];
const chains = new Map<string, ServedChain>();

async function sweep(targets: string[], ports: number[], starttls: TlsCollectorOptions["starttls"]): Promise<Map<string, EndpointRow>> {
  const store = new SqliteStore(join(root, `${Math.random()}.db`));
  const run = await store.createRun({ targets, ports, options: {} });
  const recorder = new ObservationRecorder(store, run.id);
  const signal = new AbortController().signal;
  // Every probe in flight listens for the interrupt, as in runScan.
  setMaxListeners(64, signal);
  await tlsCollector.collect(
    // As the scan plan does: schemes checked, tls:// to null.
    { specs: targets.map(parseTarget).flatMap(startTlsSpecs), ports, starttls },
    {
      recorder, log: silentLogger, signal, exclusions: new ExclusionList([]),
      timeouts: { connectMs: 2000, handshakeMs: 10_000, starttlsStepMs: STEP_MS }, concurrency: 16, onProgress: () => {},
    },
  );
  await recorder.close();
  const { endpoints } = await store.loadRun(run.id);
  await store.close();
  return new Map(endpoints.map((e) => [e.id, e]));
}

async function peer(address: string, port: number, onConnection: (socket: Socket) => void): Promise<void> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    onConnection(socket);
  });
  server.listen(port, address);
  await once(server, "listening");
  listeners.push(server);
}

async function startSmtp(address: string, tls: ServedChain | null): Promise<void> {
  const server = new SMTPServer({
    logger: false, authOptional: true, banner: "pkiscope test",
    ...(tls ? { key: await readFile(tls.keyFile), cert: await readFile(tls.certFile) } : { hideSTARTTLS: true }),
  });
  server.listen(PORT.smtp, address);
  await once(server.server, "listening");
  smtpServers.push(server);
}

let swept: Map<string, EndpointRow>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pkiscope-starttls-mail-"));
  const dirFor = (name: string): Promise<string> => mkdtemp(join(root, `${name}-`));
  for (const [server, address] of Object.entries(TLS)) chains.set(server, await writeServedChain(await dirFor(`${server}-chain`), address));
  running.push(...(await startedTogether([
    startDovecot({ dir: await dirFor("dovecot"), address: TLS.dovecot, tls: chains.get("dovecot")!, imapPort: PORT.imap, pop3Port: PORT.pop3 }),
    startDovecot({ dir: await dirFor("dovecot-plain"), address: PLAIN.dovecot, imapPort: PORT.imap, pop3Port: PORT.pop3 }),
    startVsftpd({ dir: await dirFor("vsftpd"), address: TLS.vsftpd, tls: chains.get("vsftpd")!, port: PORT.ftp }),
    startVsftpd({ dir: await dirFor("vsftpd-plain"), address: PLAIN.vsftpd, port: PORT.ftp }),
    startSlapd({ dir: await dirFor("slapd"), address: TLS.slapd, tls: chains.get("slapd")!, port: PORT.ldap }),
    startSlapd({ dir: await dirFor("slapd-plain"), address: PLAIN.slapd, port: PORT.ldap }),
  ])));
  await startSmtp(TLS.smtp, chains.get("smtp")!);
  await startSmtp(PLAIN.smtp, null);

  // Liar: an HTTP server where SMTP, IMAP and LDAP are expected; a POP3 server that says +OK to
  // STLS and sends more plaintext before the ClientHello (which would corrupt the handshake).
  for (const port of [PORT.smtp, PORT.imap, PORT.ldap]) {
    await peer(LIAR, port, (s) => (port === PORT.ldap ? s.once("data", () => s.end("HTTP/1.1 400 Bad Request\r\n\r\n")) : s.end("HTTP/1.1 400 Bad Request\r\n\r\n")));
  }
  await peer(LIAR, PORT.pop3, (s) => {
    s.write("+OK ready\r\n");
    s.once("data", () => s.write("+OK begin TLS\r\n+OK and one more thing\r\n"));
  });
  // Staller: SMTP that offers STARTTLS, accepts it with nothing, and falls silent mid-negotiation.
  await peer(STALLER, PORT.smtp, (s) => {
    s.write("220 stalling ESMTP\r\n");
    s.once("data", () => s.write("250-stalling\r\n250 STARTTLS\r\n"));
  });
  // Dripper: an IMAP greeting, then an untagged line every half step, never answering: each step
  // makes progress, only the whole preamble's bound ends it.
  await peer(DRIPPER, PORT.imap, (s) => {
    s.write("* OK dripping\r\n");
    const timer = setInterval(() => s.write("* OK still here\r\n"), STEP_MS / 2);
    s.on("close", () => clearInterval(timer));
  });

  swept = await sweep(
    ["127.160.1.1-127.160.1.2", "127.160.2.1-127.160.2.2", "127.160.3.1-127.160.3.2", "127.160.4.1-127.160.4.2", "127.160.9.1-127.160.9.3"],
    Object.values(PORT),
    BY_PORT,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await Promise.all(smtpServers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  await Promise.all(listeners.map((l) => new Promise((r) => l.close(r))));
  await rm(root, { recursive: true, force: true });
});

const sha256 = (der: Buffer): string => createHash("sha256").update(der).digest("hex");
const sentChain = (server: string): string[] => chains.get(server)!.sentDer.map(sha256);

describe("STARTTLS sweep of SMTP, IMAP, POP3, FTP and LDAP ports", () => {
  it.each([
    ["Dovecot IMAP", `${TLS.dovecot}:${PORT.imap}`, "imap", "dovecot"],
    ["Dovecot POP3", `${TLS.dovecot}:${PORT.pop3}`, "pop3", "dovecot"],
    ["vsftpd", `${TLS.vsftpd}:${PORT.ftp}`, "ftp", "vsftpd"],
    ["slapd", `${TLS.slapd}:${PORT.ldap}`, "ldap", "slapd"],
    ["smtp-server", `${TLS.smtp}:${PORT.smtp}`, "smtp", "smtp"],
  ])("%s: upgraded, the chain stored exactly as sent (leaf, intermediate)", (_server, id, protocol, chain) => {
    expect(swept.get(id)).toMatchObject({ status: "tls", starttls: protocol, error: null });
    expect(swept.get(id)!.chain).toHaveLength(2);
    expect(swept.get(id)!.chain).toEqual(sentChain(chain));
  });

  it.each([
    ["Dovecot IMAP, ssl = no", `${PLAIN.dovecot}:${PORT.imap}`, "imap", /does not offer STARTTLS \(\* CAPABILITY IMAP4rev1/],
    ["Dovecot POP3, ssl = no", `${PLAIN.dovecot}:${PORT.pop3}`, "pop3", /STLS refused: -ERR/],
    ["vsftpd, ssl_enable=NO", `${PLAIN.vsftpd}:${PORT.ftp}`, "ftp", /AUTH TLS refused: 530 /],
    ["slapd without a certificate", `${PLAIN.slapd}:${PORT.ldap}`, "ldap", /StartTLS refused: result code \d+/],
    ["smtp-server hiding STARTTLS", `${PLAIN.smtp}:${PORT.smtp}`, "smtp", /does not offer STARTTLS \(EHLO: /],
  ])("%s: no-starttls, with the server's words", (_server, id, protocol, words) => {
    expect(swept.get(id)).toMatchObject({ status: "no-starttls", starttls: protocol, chain: [] });
    expect(swept.get(id)!.error).toMatch(words);
  });

  it("records a peer answering in another protocol as an error quoting it", () => {
    for (const [port, protocol] of [[PORT.smtp, "smtp"], [PORT.imap, "imap"], [PORT.ldap, "ldap"]] as const) {
      const endpoint = swept.get(`${LIAR}:${port}`);
      expect(endpoint).toMatchObject({ status: "error", starttls: protocol, chain: [] });
      expect(endpoint!.error).toMatch(new RegExp(`^${protocol}: not an? .*HTTP/1\\.1 400 Bad Request`));
    }
  });

  it("refuses plaintext sent after the upgrade was accepted, before the ClientHello", () => {
    expect(swept.get(`${LIAR}:${PORT.pop3}`)).toMatchObject({ status: "error", starttls: "pop3", chain: [] });
    expect(swept.get(`${LIAR}:${PORT.pop3}`)!.error).toMatch(/sent data before the TLS handshake: \+OK and one more thing/);
  });

  it("times out a server that stalls mid-negotiation, at the step it stalled in", () => {
    expect(swept.get(`${STALLER}:${PORT.smtp}`)).toMatchObject({ status: "timeout", starttls: "smtp", chain: [] });
    expect(swept.get(`${STALLER}:${PORT.smtp}`)!.error).toBe(`smtp: STARTTLS: no progress waiting for a line within ${STEP_MS} ms`);
  });

  it("times out a server that keeps talking without answering, at the whole preamble's bound", () => {
    expect(swept.get(`${DRIPPER}:${PORT.imap}`)).toMatchObject({ status: "timeout", starttls: "imap", chain: [] });
    expect(swept.get(`${DRIPPER}:${PORT.imap}`)!.error).toMatch(new RegExp(`did not finish within ${4 * STEP_MS} ms`));
  });

  it("stores every port something listens on, and nothing for the rest", () => {
    const expected = [
      ...Object.values(TLS).flatMap((a) => endpointsOf(a)), ...Object.values(PLAIN).flatMap((a) => endpointsOf(a)),
      ...[PORT.smtp, PORT.imap, PORT.pop3, PORT.ldap].map((p) => `${LIAR}:${p}`), `${STALLER}:${PORT.smtp}`, `${DRIPPER}:${PORT.imap}`,
    ];
    expect([...swept.keys()].sort()).toEqual(expected.sort());
  });
});

/** The endpoints a real server at `address` listens on. */
function endpointsOf(address: string): string[] {
  if (address === TLS.dovecot || address === PLAIN.dovecot) return [`${address}:${PORT.imap}`, `${address}:${PORT.pop3}`];
  const port = [TLS.vsftpd, PLAIN.vsftpd].includes(address as never) ? PORT.ftp : [TLS.slapd, PLAIN.slapd].includes(address as never) ? PORT.ldap : PORT.smtp;
  return [`${address}:${port}`];
}

describe("choosing the protocol", () => {
  it("takes a target's scheme over the port map, and tls:// for TLS at once", async () => {
    const endpoints = await sweep([`smtp://${TLS.smtp}:${PORT.smtp}`, `imap://${TLS.dovecot}:${PORT.imap}`, `tls://${TLS.slapd}:${PORT.ldap}`], [], {
      [PORT.smtp]: "imap", [PORT.ldap]: "ldap",
    });
    expect(endpoints.get(`${TLS.smtp}:${PORT.smtp}`)).toMatchObject({ status: "tls", starttls: "smtp", chain: sentChain("smtp") });
    expect(endpoints.get(`${TLS.dovecot}:${PORT.imap}`)).toMatchObject({ status: "tls", starttls: "imap", chain: sentChain("dovecot") });
    // slapd answers a ClientHello where it expects an LDAP message by closing the connection.
    expect(endpoints.get(`${TLS.slapd}:${PORT.ldap}`)).toMatchObject({ starttls: null, chain: [] });
    expect(endpoints.get(`${TLS.slapd}:${PORT.ldap}`)!.status).not.toBe("tls");
  });
});

describe("a whole scan", () => {
  it("records the protocol on each endpoint of report.json and the HTML, as --starttls and the target's scheme chose it", async () => {
    const options: ScanCommandOptions = {
      db: join(root, "scan.db"), ldapTimeout: "1000", concurrency: "8", connectTimeout: "2000", handshakeTimeout: "10000", revocation: false,
      fetch: false, fetchTimeout: "1000", fetchMaxBytes: "1000", fetchPerHost: "1", out: join(root, "out"), report: false, progress: false,
      targets: [`smtp://${TLS.smtp}:${PORT.smtp}`, `${TLS.dovecot}:${PORT.imap}`, `${PLAIN.vsftpd}:${PORT.ftp}`],
      starttls: [`${PORT.imap}=imap,${PORT.ftp}=ftp`], starttlsTimeout: String(STEP_MS),
    };
    const store = new SqliteStore(options.db);
    try {
      const outcome = await runScan(store, await buildScanPlan(options), { log: silentLogger, signal: new AbortController().signal });
      const report = buildReport(outcome.view, outcome.conclusions);
      expect(report.scan.complete).toBe(true);
      expect(report.inventory.endpoints.map((e) => [e.id, e.status, e.starttls]).sort()).toEqual([
        [`${TLS.dovecot}:${PORT.imap}`, "tls", "imap"],
        [`${PLAIN.vsftpd}:${PORT.ftp}`, "no-starttls", "ftp"],
        [`${TLS.smtp}:${PORT.smtp}`, "tls", "smtp"],
      ]);
      expect(report.summary.endpointsByStatus).toEqual({ tls: 2, "no-starttls": 1 });
      const html = renderHtml(report);
      expect(html).toContain("<th>STARTTLS</th>");
      expect(html).toMatch(/<span class="pill">no-starttls 1<\/span>/);
    } finally {
      await store.close();
    }
  });

  it("ends a negotiation in flight when the scan is interrupted", async () => {
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 200);
    const observation = await probeTls(
      { address: STALLER, port: PORT.smtp, sni: null, starttls: "smtp" }, { connectMs: 2000, handshakeMs: 60_000 }, interrupt.signal,
    );
    expect(observation).toMatchObject({ status: "error", starttls: "smtp", error: "scan interrupted before this probe finished" });
  });
});
