// Scope and resource bounds through `pkiscope scan`, at real listeners on 127.202.0.0/16:
// --exclude (a CIDR and a range) is never contacted while the rest of the range is scanned;
// --rate and --per-host reach the run's recorded options, from the command line or a profile;
// --concurrency past the open-files limit is clamped with one warning, and no probe hits EMFILE.
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type Server, type Socket, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildScanPlan } from "../../src/cli/scan-command.js";
import { buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { SCAN_OPTIONS, runInProcess, runToEnd } from "./cli-helpers.js";

const TLS_PORT = 9640;
const SILENT_PORT = 9650;
const SCANNED = "127.202.1.0/28";
/** Excluded inside the scanned block: a CIDR (.4-.7) and a range (.9-.10). */
const EXCLUDED_CIDR = "127.202.1.4/30";
const EXCLUDED_RANGE = "127.202.1.9-127.202.1.10";
const excluded = (last: number): boolean => (last >= 4 && last <= 7) || last === 9 || last === 10;
const LISTENING = Array.from({ length: 14 }, (_, i) => i + 1);

let dir: string;
const servers: Server[] = [];
const accepts = new Map<number, number>();
const silentSockets: Socket[] = [];

async function listen(server: Server, port: number, address: string): Promise<void> {
  server.listen(port, address);
  await once(server, "listening");
  servers.push(server);
}

async function loadRun(db: string) {
  const store = new SqliteStore(db);
  const [run] = await store.listRuns();
  const { endpoints } = await store.loadRun(run!.id);
  await store.close();
  return { run: run!, endpoints };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-politeness-cli-"));
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const cert = buildCertificate({
    subject: [["CN", "scope.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey, dnsNames: ["scope.test"],
    notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000),
  });
  for (const last of LISTENING) {
    const server = createTlsServer({ key: privateKeyPem(key.privateKey), cert: cert.pem });
    // Counted at accept, before any byte: a probe of an excluded address would show here even if it sent nothing.
    server.on("connection", () => accepts.set(last, (accepts.get(last) ?? 0) + 1));
    server.on("tlsClientError", () => {});
    await listen(server, TLS_PORT, `127.202.1.${last}`);
  }
  // A /24 that accepts and never speaks: every probe of it holds a socket until its handshake times out.
  for (let last = 0; last < 256; last++) {
    await listen(createTcpServer((socket) => {
      silentSockets.push(socket);
      socket.on("error", () => {});
    }), SILENT_PORT, `127.202.4.${last}`);
  }
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await rm(dir, { recursive: true, force: true });
});

describe("pkiscope scan --exclude", () => {
  it("never contacts an excluded CIDR or range inside the scanned block, and scans the rest", async () => {
    const db = join(dir, "exclude.db");
    const { code, stderr } = await runInProcess([
      "scan", "-t", SCANNED, "-p", String(TLS_PORT), "--exclude", EXCLUDED_CIDR, "--exclude", EXCLUDED_RANGE,
      "--rate", "200", "--per-host", "2", "--no-fetch", "--no-revocation", "--no-report", "--no-progress", "--db", db,
    ]);
    expect(code, stderr).toBe(0);
    for (const last of LISTENING) expect(accepts.get(last) ?? 0, `127.202.1.${last}`).toBe(excluded(last) ? 0 : 1);

    const { run, endpoints } = await loadRun(db);
    const healthy = LISTENING.filter((last) => !excluded(last)).map((last) => `127.202.1.${last}`);
    expect(endpoints.filter((e) => e.status === "tls").map((e) => e.address).sort()).toEqual(healthy.sort());
    expect((run.stats as { collectors: { tls: Record<string, number> } }).collectors.tls).toMatchObject({ excluded: 6, tls: 8 });
    // The politeness it ran with is part of the run's record.
    expect(run.options).toMatchObject({ exclude: [EXCLUDED_CIDR, EXCLUDED_RANGE], rate: 200, perHost: 2 });
  }, 60_000);
});

describe("--rate and --per-host", () => {
  it("come from a profile, and the command line wins over it", async () => {
    const config = join(dir, "pkiscope.yaml");
    await writeFile(config, `profiles:\n  gentle:\n    rate: 50\n    perHost: 2\n    networks:\n      - targets: ["${SCANNED}"]\n`);
    const fromProfile = await buildScanPlan({ ...SCAN_OPTIONS, config, profile: "gentle" }, {}, () => false);
    expect(fromProfile).toMatchObject({ rate: 50, perHost: 2 });
    const overridden = await buildScanPlan({ ...SCAN_OPTIONS, config, profile: "gentle", rate: "7" }, {}, (key) => key === "rate");
    expect(overridden).toMatchObject({ rate: 7, perHost: 2 });
  });

  it("are checked up front, naming the option", async () => {
    await expect(buildScanPlan({ ...SCAN_OPTIONS, targets: [SCANNED], rate: "0" })).rejects.toThrow(/--rate/);
    await expect(buildScanPlan({ ...SCAN_OPTIONS, targets: [SCANNED], perHost: "many" })).rejects.toThrow(/--per-host/);
  });
});

describe("--concurrency past the open-files limit", () => {
  it("is clamped with one warning under ulimit -n 256, and the scan completes without EMFILE", async () => {
    const db = join(dir, "clamped.db");
    // 256 silent endpoints at once would need more than 256 descriptors: unclamped, probes would fail with EMFILE.
    const child = spawn("bash", ["-c", `ulimit -n 256 && exec "$0" --import tsx src/cli/main.ts "$@"`, process.execPath,
      "scan", "-t", "127.202.4.0/24", "-p", String(SILENT_PORT), "-c", "1000000", "--handshake-timeout", "1500",
      "--no-fetch", "--no-revocation", "--no-report", "--no-progress", "--db", db,
    ], { cwd: new URL("../..", import.meta.url).pathname, stdio: ["ignore", "pipe", "pipe"] });
    const { code, output } = await runToEnd(child);
    expect(code, output).toBe(0);
    const warnings = output.split("\n").filter((line) => line.includes("--concurrency 1000000"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ulimit -n 256\); using 160 /);

    const { run, endpoints } = await loadRun(db);
    expect(run.complete).toBe(true);
    expect(run.options).toMatchObject({ concurrency: 160 });
    expect(endpoints).toHaveLength(256);
    expect(endpoints.filter((e) => e.status !== "timeout").map((e) => e.error)).toEqual([]);
    expect(output).not.toMatch(/EMFILE/);
  }, 120_000);
});
