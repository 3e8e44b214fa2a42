// Benchmark: a loopback /16 on port 443 (65,536 probes) holding 1,000 live TLS endpoints served by
// this process, swept by the pkiscope CLI, by `nmap -n -Pn -p 443 --script ssl-cert` (which
// collects the same certificates) and by `nmap -n -Pn -sT -p 443` (a bare TCP connect scan that
// collects nothing: the floor a sweep of connects sets), interleaved in the same process run.
//
// Layout (BENCH_SWEEP16_PREFIX, default 127.176, always inside 127.0.0.0/8): 1,000 TLS listeners
// spread evenly over the /16, each serving its own leaf certificate (one key, its own serial and
// name) issued by one CA; every other address refuses at once, as closed loopback ports do.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { fileURLToPath } from "node:url";
import { buildCertificate, privateKeyPem } from "../fixtures/lib/certificate-builder.js";
import { closeServer, listen } from "../fixtures/sample-network.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { type BenchResult, type Benchmark, type ToolMeasurement, boundedInt, ratioLine } from "./lib/bench.js";
import { hasGnuTime, measureCommand, runFailure } from "./lib/measure.js";
import { type FoundCheck, checkNmap, endpointDiff, shellLine, summariseFound } from "./lib/nmap-xml.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { toolStatus } from "./lib/tools.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const PREFIX = process.env.BENCH_SWEEP16_PREFIX ?? "127.176";
const PORT = 443;
const LISTENERS = 1_000;
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
/** Hard cap on one tool run; far above anything expected (a stuck run is killed, not waited on). */
const RUN_TIMEOUT_MS = 300_000;

interface Variant {
  label: string;
  command: "pkiscope" | "nmap";
  args: (tag: string) => string[];
  check: (tag: string) => Promise<FoundCheck>;
  row: ToolMeasurement;
  foundTexts: string[];
}

export const tlsSweep16: Benchmark = {
  name: "tls-sweep-16",
  description: "pkiscope scan of a loopback /16 on port 443 (1,000 live TLS endpoints) vs nmap ssl-cert and nmap -sT",
  requires: ["nmap"],
  run,
};

/** The i-th of LISTENERS addresses, spread evenly over the /16 (never .0 or .255 in the last octet). */
export function listenerAddress(prefix: string, i: number): string {
  const n = Math.floor((i * 65_536) / LISTENERS) + 1;
  return `${prefix}.${n >> 8}.${n & 0xff}`;
}

async function run(): Promise<BenchResult> {
  if (!/^127\.\d{1,3}$/.test(PREFIX)) throw new Error(`BENCH_SWEEP16_PREFIX must be a loopback /16 like 127.176, not ${PREFIX}`);
  const cidr = `${PREFIX}.0.0/16`;
  const work = await mkdtemp(join(tmpdir(), "pkiscope-bench-sweep16-"));
  const closers: (() => Promise<void>)[] = [];
  try {
    const [cli, nmap, gnuTime] = await Promise.all([pkiscopeCli(REPO_ROOT), toolStatus("nmap", REPO_ROOT), hasGnuTime()]);
    process.stderr.write(`bench tls-sweep-16: issuing ${LISTENERS} certificates and listening on ${cidr}:${PORT}...\n`);
    const { anchorsPath, expected } = await startListeners(work, closers);

    const pkiscopeArgs = (tag: string): string[] => [
      ...cli.prefixArgs, "scan", "--targets", cidr, "--ports", String(PORT), "--trust-anchors", anchorsPath,
      "--db", join(work, `pkiscope-${tag}.db`), "--out", join(work, `report-${tag}`),
      // nmap checks no CRL or OCSP; the certificates name none anyway.
      "--no-revocation", "--no-progress", "-q",
    ];
    // --open: nmap prints and writes only the 1,000 open ports, not 65,536 closed ones.
    const nmapArgs = (extra: string[]) => (tag: string): string[] => ["-n", "-Pn", "-p", String(PORT), ...extra, "--open", "-oX", join(work, `nmap-${tag}.xml`), cidr];
    const variant = (label: string, command: Variant["command"], args: Variant["args"], check: Variant["check"]): Variant => {
      const shown = command === "pkiscope" ? shellLine("node", args("$RUN")).replaceAll(`${REPO_ROOT}/`, "") : shellLine("nmap", args("$RUN"));
      const row: ToolMeasurement = { tool: label, command: shown.replaceAll(work, "$TMP"), runsMs: [], peakRssKiB: [], found: "-" };
      if (command === "nmap" && !nmap.available) Object.assign(row, { found: "not run", error: "nmap unavailable" });
      return { label, command, args, check, row, foundTexts: [] };
    };
    const variants = [
      variant("pkiscope", "pkiscope", pkiscopeArgs, (tag) => checkPkiscope(join(work, `pkiscope-${tag}.db`), expected)),
      variant("nmap --script ssl-cert", "nmap", nmapArgs(["--script", "ssl-cert"]), (tag) => checkNmap(join(work, `nmap-${tag}.xml`), expected)),
      variant("nmap -sT", "nmap", nmapArgs(["-sT"]), (tag) => checkOpenPorts(join(work, `nmap-${tag}.xml`), expected.size)),
    ];

    const failures: string[] = [];
    const warnings: string[] = [];
    const measure = async (v: Variant, tag: string, record: boolean): Promise<void> => {
      if (v.command === "nmap" && !nmap.available) return;
      const [command, cwd] = v.command === "pkiscope" ? [cli.command, REPO_ROOT] : ["nmap", work];
      const r = await measureCommand(command, v.args(tag), { cwd, timeoutMs: RUN_TIMEOUT_MS, scratchDir: work });
      const failure = runFailure(r, RUN_TIMEOUT_MS);
      if (failure) {
        v.row.error = failure.slice(0, 200);
        failures.push(`${v.label} (${tag}) ${failure}`);
        return;
      }
      const check = await v.check(tag);
      if (check.warning) warnings.push(`${v.label} (${tag}): ${check.warning.slice(0, 300)}`);
      if (!record) return;
      v.row.runsMs.push(r.wallMs);
      v.row.peakRssKiB.push(r.peakRssKiB);
      v.foundTexts.push(check.found);
      v.row.found = summariseFound(v.foundTexts);
    };

    process.stderr.write(`bench tls-sweep-16: warm-up, then ${RUNS} interleaved runs per tool...\n`);
    for (const v of variants) await measure(v, `warmup-${variants.indexOf(v)}`, false);
    for (let i = 0; i < RUNS; i++) {
      for (const [k, v] of (i % 2 === 0 ? variants : [...variants].reverse()).entries()) await measure(v, `${i}-${k}`, true);
      process.stderr.write(`  run ${i + 1}/${RUNS} done\n`);
    }
    if (!nmap.available) failures.push(`nmap unavailable, pkiscope measured alone: ${nmap.reason ?? "unknown reason"}`);
    const [pkiscope, sslCert, connectScan] = variants.map((v) => v.row) as [ToolMeasurement, ToolMeasurement, ToolMeasurement];

    return {
      name: tlsSweep16.name,
      title: `${cidr} on port ${PORT} (65,536 probes) on loopback, ${LISTENERS} live TLS endpoints`,
      setup: [
        `machine: ${cpus().length} cores, node ${process.version}, ${nmap.available ? nmap.version : "nmap: unavailable"}`,
        `targets: ${cidr} port ${PORT}; ${LISTENERS} TLS listeners in this process (${listenerAddress(PREFIX, 0)}, ${listenerAddress(PREFIX, 1)}, ... ` +
          `${listenerAddress(PREFIX, LISTENERS - 1)}), each its own P-256 leaf from one CA; every other address refuses`,
        `pkiscope: ${cli.how}; peak RSS via ${gnuTime ? "/usr/bin/time -f %M" : "/proc/<pid>/status VmHWM polling"}`,
        `runs: 1 untimed warm-up per tool, then ${RUNS} timed runs per row, interleaved, order reversed every other iteration`,
      ],
      sections: [{
        title: "pkiscope beside nmap collecting the same certificates, and beside nmap's bare connect scan",
        rows: variants.map((v) => v.row),
        comparisons: nmap.available ? [ratioLine(pkiscope, sslCert), ratioLine(pkiscope, connectScan)] : [],
      }],
      notes: [
        ...warnings.map((w) => `WARNING: ${w}`),
        ...(cli.warning ? [`WARNING: ${cli.warning}`] : []),
        "Targets (issue 12): pkiscope at most 1/1.5 = 0.67× nmap ssl-cert's time, at most 1.3× nmap -sT's, peak RSS under 300 MB.",
        "Wall time is the whole process, start-up included. pkiscope also records every TLS endpoint in SQLite, builds chains, " +
          "runs the rules and writes report.json/.html/inventory.csv; nmap's ssl-cert prints the leaf only.",
        "nmap runs as root here: without -sT its port scan is a raw-socket SYN scan, then a TLS connect per open port. " +
          "-sT is a connect() per address, as pkiscope makes. Both nmap rows use --open (only open ports in the output).",
        "The TLS listeners run in this bench process and share the machine's cores with whichever tool runs.",
        "A measurement, not a test: no thresholds. 'found' is checked against the served endpoints so a fast but blind run would show.",
      ],
      failures,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}

/** Issues the certificates and starts the listeners; returns the CA file and the expected "address:port" set. */
async function startListeners(work: string, closers: (() => Promise<void>)[]): Promise<{ anchorsPath: string; expected: Set<string> }> {
  const validity = { notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 365 * 86_400_000) };
  const caKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ca = buildCertificate({
    subject: [["O", "pkiscope bench"], ["CN", "Sweep CA"]], publicKey: caKey.publicKey, selfSignKey: caKey.privateKey,
    isCA: true, keyUsage: ["keyCertSign", "cRLSign"], ...validity,
  });
  const anchorsPath = join(work, "anchors.pem");
  await writeFile(anchorsPath, ca.pem);
  // One leaf key for all: generating 1,000 keys adds setup time and changes nothing a scan does.
  const leafKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyPem = privateKeyPem(leafKey.privateKey);
  const expected = new Set<string>();
  for (let i = 0; i < LISTENERS; i++) {
    const address = listenerAddress(PREFIX, i);
    const name = `h${i}.sweep.test`;
    const leaf = buildCertificate({
      subject: [["O", "pkiscope bench"], ["CN", name]], publicKey: leafKey.publicKey,
      issuer: { certificateDer: ca.der, privateKey: caKey.privateKey }, isCA: false,
      keyUsage: ["digitalSignature"], extKeyUsage: ["serverAuth"], dnsNames: [name], ...validity,
    });
    const server = createTlsServer({ key: keyPem, cert: leaf.pem + ca.pem });
    server.on("tlsClientError", () => {});
    await listen(server, address, PORT);
    closers.push(() => closeServer(server));
    expected.add(`${address}:${PORT}`);
  }
  return { anchorsPath, expected };
}

async function checkPkiscope(dbPath: string, expected: ReadonlySet<string>): Promise<FoundCheck> {
  const store = new SqliteStore(dbPath);
  try {
    const run = await store.findRun("latest");
    if (!run) return { tls: 0, found: "no run in store", warning: "the store holds no run" };
    const contents = await store.loadRun(run.id);
    const tls = new Set(contents.endpoints.filter((e) => e.status === "tls" && e.chain.length === 2).map((e) => `${e.address}:${e.port}`));
    const found = `${tls.size}/${expected.size} TLS endpoints with their chain, ${contents.certificates.length} certificates`;
    const problems = endpointDiff(expected, tls);
    if (contents.endpoints.length !== tls.size) problems.push(`${contents.endpoints.length - tls.size} other endpoint(s) recorded`);
    if (!run.complete) problems.push("run not marked complete");
    return problems.length > 0 ? { tls: tls.size, found, warning: problems.join("; ") } : { tls: tls.size, found };
  } finally {
    await store.close();
  }
}

/** nmap -sT collects no certificate: the check is that it saw every listener open. */
async function checkOpenPorts(xmlPath: string, expected: number): Promise<FoundCheck> {
  const { open = 0 } = await checkNmap(xmlPath, new Set());
  const found = `${open}/${expected} open ports (no certificates)`;
  return open === expected ? { tls: 0, found } : { tls: 0, found, warning: `expected ${expected} open ports, saw ${open}` };
}
