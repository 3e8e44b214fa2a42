// Benchmark: certificates behind SMTP STARTTLS. A loopback /24 on port 25 (256 probes) holding 20
// real SMTP servers (smtp-server, in this process) that offer STARTTLS and serve leaf +
// intermediate, swept by the pkiscope CLI (port 25 speaks SMTP by default) and by
// `nmap -n -Pn --script ssl-cert` (whose sslcert library speaks STARTTLS on 25), interleaved;
// median wall times, peak RSS, what each found, and the ratio.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { once } from "node:events";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { writeServedChain } from "../fixtures/lib/starttls-servers.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { type BenchResult, type Benchmark, type ToolMeasurement, boundedInt, ratioLine } from "./lib/bench.js";
import { hasGnuTime, measureCommand, runFailure } from "./lib/measure.js";
import { type FoundCheck, checkNmap, endpointDiff, shellLine, summariseFound } from "./lib/nmap-xml.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { toolStatus } from "./lib/tools.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const PREFIX = process.env.BENCH_STARTTLS_PREFIX ?? "127.161.0";
const SMTP_PORT = 25;
const SERVERS = 20;
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
const RUN_TIMEOUT_MS = 180_000;

export const starttlsSweep: Benchmark = {
  name: "starttls-sweep",
  description: `pkiscope scan of a loopback /24 on port 25 (${SERVERS} SMTP servers with STARTTLS) vs nmap -n -Pn --script ssl-cert`,
  requires: ["nmap"],
  run,
};

async function run(): Promise<BenchResult> {
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(PREFIX)) throw new Error(`BENCH_STARTTLS_PREFIX must be a loopback /24 like 127.161.0, not ${PREFIX}`);
  const cidr = `${PREFIX}.0/24`;
  const work = await mkdtemp(join(tmpdir(), "pkiscope-bench-starttls-"));
  const servers: SMTPServer[] = [];
  try {
    const [cli, nmap, gnuTime] = await Promise.all([pkiscopeCli(REPO_ROOT), toolStatus("nmap", REPO_ROOT), hasGnuTime()]);
    const chain = await writeServedChain(work, "mail.pkiscope.test");
    const [key, cert] = await Promise.all([readFile(chain.keyFile), readFile(chain.certFile)]);
    const expected = new Set<string>();
    for (let host = 1; host <= SERVERS; host++) {
      const server = new SMTPServer({ logger: false, authOptional: true, key, cert });
      server.listen(SMTP_PORT, `${PREFIX}.${host}`);
      await once(server.server, "listening");
      servers.push(server);
      expected.add(`${PREFIX}.${host}:${SMTP_PORT}`);
    }

    const tools = {
      pkiscope: (tag: string): string[] => [
        ...cli.prefixArgs, "scan", "--targets", cidr, "--ports", String(SMTP_PORT),
        "--db", join(work, `pkiscope-${tag}.db`), "--out", join(work, `report-${tag}`),
        // nmap checks no revocation and fetches nothing: neither does pkiscope here.
        "--no-revocation", "--no-fetch", "--no-progress", "-q",
      ],
      nmap: (tag: string): string[] => ["-n", "-Pn", "-T4", "-p", String(SMTP_PORT), "--script", "ssl-cert", "-oX", join(work, `nmap-${tag}.xml`), cidr],
    };
    const rows: Record<keyof typeof tools, ToolMeasurement & { texts: string[] }> = {
      pkiscope: { tool: "pkiscope", command: shellLine("node", tools.pkiscope("$RUN")).replaceAll(`${REPO_ROOT}/`, "").replaceAll(work, "$TMP"), runsMs: [], peakRssKiB: [], found: "-", texts: [] },
      nmap: { tool: "nmap", command: shellLine("nmap", tools.nmap("$RUN")).replaceAll(work, "$TMP"), runsMs: [], peakRssKiB: [], found: nmap.available ? "-" : "not run", texts: [] },
    };
    const failures: string[] = [];
    const warnings: string[] = [];
    const measure = async (tool: keyof typeof tools, tag: string, record: boolean): Promise<void> => {
      if (tool === "nmap" && !nmap.available) return;
      const [command, cwd] = tool === "pkiscope" ? [cli.command, REPO_ROOT] : ["nmap", work];
      const r = await measureCommand(command, tools[tool](tag), { cwd, timeoutMs: RUN_TIMEOUT_MS, scratchDir: work });
      const failure = runFailure(r, RUN_TIMEOUT_MS);
      const row = rows[tool];
      if (failure) {
        row.error = failure;
        failures.push(`${tool} (${tag}) ${failure}`);
        return;
      }
      const check = tool === "pkiscope" ? await checkPkiscope(join(work, `pkiscope-${tag}.db`), expected, chain.sentDer.length) : await checkNmap(join(work, `nmap-${tag}.xml`), expected);
      if (check.warning) warnings.push(`${tool} (${tag}): ${check.warning}`);
      if (!record) return;
      row.runsMs.push(r.wallMs);
      row.peakRssKiB.push(r.peakRssKiB);
      row.texts.push(check.found);
      row.found = summariseFound(row.texts);
    };

    process.stderr.write(`bench starttls-sweep: warm-up, then ${RUNS} interleaved runs per tool...\n`);
    for (const tool of ["pkiscope", "nmap"] as const) await measure(tool, `warmup-${tool}`, false);
    for (let i = 0; i < RUNS; i++) {
      for (const tool of i % 2 === 0 ? (["pkiscope", "nmap"] as const) : (["nmap", "pkiscope"] as const)) await measure(tool, `${i}-${tool}`, true);
    }
    if (!nmap.available) failures.push(`nmap unavailable, pkiscope measured alone: ${nmap.reason ?? "unknown reason"}`);

    return {
      name: starttlsSweep.name,
      title: `${cidr} × port ${SMTP_PORT} (256 probes) on loopback, ${SERVERS} SMTP servers offering STARTTLS`,
      setup: [
        `machine: ${cpus().length} cores, node ${process.version}, ${nmap.available ? nmap.version : "nmap: unavailable"}`,
        `targets: ${cidr}, port ${SMTP_PORT}; smtp-server (STARTTLS, leaf + intermediate) at .1-.${SERVERS}, every other address refuses`,
        `pkiscope: ${cli.how}; peak RSS via ${gnuTime ? "/usr/bin/time -f %M" : "/proc/<pid>/status VmHWM polling"}`,
        `runs: 1 untimed warm-up per tool, then ${RUNS} timed runs each, interleaved, order reversed every other run`,
      ],
      sections: [{
        title: "SMTP STARTTLS on port 25",
        rows: [rows.pkiscope, rows.nmap],
        comparisons: nmap.available ? [ratioLine(rows.pkiscope, rows.nmap)] : [],
      }],
      notes: [
        ...warnings.map((w) => `WARNING: ${w}`),
        ...(cli.warning ? [`WARNING: ${cli.warning}`] : []),
        "Wall time is the whole process, start-up included. Both tools speak EHLO and STARTTLS before the handshake on each open port.",
        "pkiscope also stores every observation, builds paths, runs the rules and writes its reports; nmap's ssl-cert prints the leaf only. " +
          "pkiscope's 'found' counts endpoints whose whole chain (leaf and intermediate) was stored.",
        "The SMTP servers run inside the bench process and share the machine's cores with whichever tool is running.",
        "A measurement, not a test: no thresholds.",
      ],
      failures,
    };
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    await rm(work, { recursive: true, force: true });
  }
}

/** TLS endpoints reached through SMTP STARTTLS with their whole chain stored, checked against `expected`. */
async function checkPkiscope(dbPath: string, expected: ReadonlySet<string>, chainLength: number): Promise<FoundCheck> {
  const store = new SqliteStore(dbPath);
  try {
    const run = await store.findRun("latest");
    if (!run) return { tls: 0, found: "no run in store", warning: "the store holds no run" };
    const { endpoints } = await store.loadRun(run.id);
    const upgraded = new Set(endpoints.filter((e) => e.status === "tls" && e.starttls === "smtp" && e.chain.length === chainLength).map((e) => `${e.address}:${e.port}`));
    const others = endpoints.filter((e) => e.status !== "tls").length;
    const found = `${upgraded.size}/${expected.size} TLS endpoints via STARTTLS (chain of ${chainLength})${others ? ` (+${others} other)` : ""}`;
    const problems = endpointDiff(expected, upgraded);
    if (!run.complete) problems.push("run not marked complete");
    return problems.length > 0 ? { tls: upgraded.size, found, warning: problems.join("; ") } : { tls: upgraded.size, found };
  } finally {
    await store.close();
  }
}
