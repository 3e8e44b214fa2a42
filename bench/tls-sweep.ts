// Benchmark: sweep a loopback /24 on 3 ports (768 probes) holding 20 live TLS endpoints with the
// pkiscope CLI, and the same targets with `nmap -n -Pn --script ssl-cert`, interleaved in the
// same process run; report median wall times, peak RSS, what each tool found, and the ratio.
//
// Layout (prefix 127.91.0 unless BENCH_TLS_PREFIX says otherwise, always inside 127.0.0.0/8):
//   .1            AIA caIssuers HTTP server of the sample PKI (ephemeral port, not probed)
//   .2 – .18      17 sample-PKI TLS identities on port 8443 (fixtures/sample-network.ts)
//   .19           plain-TCP banner (not TLS), .20 silent (accepts, never answers), .21 closed
//   .100 .180 .254  3 extra TLS listeners on 8443 re-using healthy sample identities → 20 TLS
//   ports 8444, 8445: nothing listens anywhere (every probe is refused at once on loopback).
// All TLS is on 8443 because nmap's ssl-cert portrule (shortport.ssl) only fires, without -sV,
// on ports it knows as TLS by number; 8444/8445 would be skipped by nmap but not by pkiscope.
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type SampleNetwork, serveIdentity, startSampleNetwork } from "../fixtures/sample-network.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { type BenchResult, type BenchSection, type Benchmark, type ToolMeasurement, ratioLine, boundedInt } from "./lib/bench.js";
import { hasGnuTime, measureCommand, runFailure } from "./lib/measure.js";
import { type FoundCheck, checkNmap, endpointDiff, shellLine, summariseFound } from "./lib/nmap-xml.js";
import { pkiscopeCli } from "./lib/pkiscope-cli.js";
import { toolStatus } from "./lib/tools.js";

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const PREFIX = process.env.BENCH_TLS_PREFIX ?? "127.91.0";
const TLS_PORT = 8443;
const EMPTY_PORTS = [8444, 8445];
const PORTS = [TLS_PORT, ...EMPTY_PORTS].join(",");
const EXTRA_HOSTS: ReadonlyArray<{ host: number; identity: string }> = [
  { host: 100, identity: "healthy-rsa" },
  { host: 180, identity: "healthy-p256" },
  { host: 254, identity: "healthy-p384" },
];
const RUNS = boundedInt(process.env.BENCH_RUNS, 3, 1, 15);
/** Hard cap on one tool run; far above anything expected (a stuck run is killed, not waited on). */
const RUN_TIMEOUT_MS = 180_000;
/** The one wait both tools are given on the silent endpoint in the "silent included" scenario. */
const SILENT_WAIT_S = 5;
/** nmap at NSE defaults waits about 60 s on the silent endpoint: timed this many times only. */
const NMAP_DEFAULT_TIMEOUT_RUNS = boundedInt(process.env.BENCH_NMAP_DEFAULT_RUNS, 1, 0, 15);

/** One way of running one tool inside a scenario: a row of the printed table. */
interface Variant {
  tool: "pkiscope" | "nmap";
  label: string;
  args: (tag: string) => string[];
  /** Timed runs of this variant (the 60 s nmap-at-defaults variant runs fewer times). */
  runs: number;
  row: ToolMeasurement;
  /** Per successful run: TLS endpoints found, and the printed "found" text. */
  foundCounts: number[];
  foundTexts: string[];
}

interface Scenario {
  key: string;
  title: string;
  expect: { notTls: number; timeout: number };
  variants: Variant[];
}

interface Expected {
  tlsIds: Set<string>;
}

export const tlsSweep: Benchmark = {
  name: "tls-sweep",
  description: "pkiscope scan of a loopback /24 × 3 ports (20 live TLS endpoints) vs nmap -n -Pn --script ssl-cert",
  requires: ["nmap"],
  run,
};

async function run(): Promise<BenchResult> {
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(PREFIX)) throw new Error(`BENCH_TLS_PREFIX must be a loopback /24 like 127.91.0, not ${PREFIX}`);
  const cidr = `${PREFIX}.0/24`;
  const work = await mkdtemp(join(tmpdir(), "pkiscope-bench-tls-"));
  const closers: (() => Promise<void>)[] = [];
  try {
    const [cli, nmap, gnuTime] = await Promise.all([pkiscopeCli(REPO_ROOT), toolStatus("nmap", REPO_ROOT), hasGnuTime()]);

    process.stderr.write(`bench tls-sweep: generating the sample PKI and starting its services on ${cidr}...\n`);
    const network = await startSampleNetwork({ prefix: PREFIX, port: TLS_PORT, workDir: join(work, "sample") });
    closers.push(() => network.close());
    closers.push(...(await startExtraListeners(network)));

    const byStatus = (s: string) => network.endpoints.filter((e) => e.status === s);
    const silent = byStatus("timeout")[0];
    if (!silent) throw new Error("the sample network has no silent endpoint any more; update this benchmark");
    const tlsIds = new Set([
      ...byStatus("tls").map((e) => `${e.address}:${e.port}`),
      ...EXTRA_HOSTS.map((x) => `${PREFIX}.${x.host}:${TLS_PORT}`),
    ]);
    const expected: Expected = { tlsIds };
    const notTls = byStatus("not-tls").length;
    const sampleTls = byStatus("tls");

    const pkiscopeArgs = (extra: string[]) => (tag: string): string[] => [
      ...cli.prefixArgs, "scan",
      "--targets", cidr, "--ports", PORTS,
      "--trust-anchors", network.trustAnchorsPath,
      "--db", join(work, `pkiscope-${tag}.db`), "--out", join(work, `report-${tag}`),
      // nmap's ssl-cert checks no CRL or OCSP, and the sample's revocation services are slow on
      // purpose: revocation is left out so both tools do the same job.
      "--connect-timeout", "3000", "--no-revocation", ...extra,
      "--no-progress", "-q",
    ];
    const nmapArgs = (extra: string[]) => (tag: string): string[] => [
      "-n", "-Pn", "-T4", "-p", PORTS, "--script", "ssl-cert", ...extra, "-oX", join(work, `nmap-${tag}.xml`), cidr,
    ];
    const variant = (tool: Variant["tool"], label: string, args: Variant["args"], runs: number): Variant => {
      const shown = tool === "pkiscope" ? shellLine("node", args("$RUN")).replaceAll(`${REPO_ROOT}/`, "") : shellLine("nmap", args("$RUN"));
      const row: ToolMeasurement = { tool: label, command: shown.replaceAll(work, "$TMP"), runsMs: [], peakRssKiB: [], found: "-" };
      if (tool === "nmap" && !nmap.available) {
        row.found = "not run";
        row.error = "nmap unavailable";
      }
      return { tool, label, args, runs, row, foundCounts: [], foundTexts: [] };
    };

    const silentWaitMs = String(SILENT_WAIT_S * 1000);
    const scenarios: Scenario[] = [
      {
        key: "no-silent",
        title: `silent endpoint ${silent.address} excluded from both tools (--exclude ${silent.address})`,
        expect: { notTls, timeout: 0 },
        variants: [
          variant("pkiscope", "pkiscope", pkiscopeArgs(["--exclude", silent.address]), RUNS),
          variant("nmap", "nmap", nmapArgs(["--exclude", silent.address]), RUNS),
        ],
      },
      {
        key: "silent",
        title: `silent endpoint ${silent.address} included`,
        expect: { notTls, timeout: 1 },
        variants: [
          variant("pkiscope", `pkiscope --handshake-timeout ${silentWaitMs}`, pkiscopeArgs(["--handshake-timeout", silentWaitMs]), RUNS),
          variant("nmap", `nmap --script-timeout ${SILENT_WAIT_S}s`, nmapArgs(["--script-timeout", `${SILENT_WAIT_S}s`]), RUNS),
          variant("nmap", "nmap (NSE default timeouts)", nmapArgs([]), Math.min(RUNS, NMAP_DEFAULT_TIMEOUT_RUNS)),
        ],
      },
    ].map((sc) => ({ ...sc, variants: sc.variants.filter((v) => v.runs > 0) }));

    const failures: string[] = [];
    const warnings: string[] = [];
    const fail = (row: ToolMeasurement, message: string): void => {
      row.error = message.length > 200 ? `${message.slice(0, 200)}…` : message;
      if (!failures.includes(message)) failures.push(message);
    };
    const measure = async (s: Scenario, v: Variant, tag: string, record: boolean): Promise<void> => {
      if (v.tool === "nmap" && !nmap.available) return;
      const [command, cwd] = v.tool === "pkiscope" ? [cli.command, REPO_ROOT] : ["nmap", work];
      const r = await measureCommand(command, v.args(tag), { cwd, timeoutMs: RUN_TIMEOUT_MS, scratchDir: work });
      const failure = runFailure(r, RUN_TIMEOUT_MS);
      if (failure) return fail(v.row, `${v.label} (${s.key}, ${tag}) ${failure}`);
      const check = v.tool === "pkiscope"
        ? await checkPkiscope(join(work, `pkiscope-${tag}.db`), expected, s)
        : await checkNmap(join(work, `nmap-${tag}.xml`), expected.tlsIds);
      if (check.warning) warnings.push(`${v.label} (${s.key}, ${tag}): ${check.warning}`);
      if (!record) return;
      v.row.runsMs.push(r.wallMs);
      v.row.peakRssKiB.push(r.peakRssKiB);
      v.foundCounts.push(check.tls);
      v.foundTexts.push(check.found);
      v.row.found = summariseFound(v.foundTexts);
    };

    // One untimed warm-up of each tool (page cache, NSE script loading, first-run effects), then
    // up to RUNS timed iterations; the order of the variants reverses every other iteration.
    process.stderr.write(`bench tls-sweep: warm-up, then ${RUNS} interleaved runs per tool and scenario...\n`);
    for (const v of scenarios[0]!.variants) await measure(scenarios[0]!, v, `warmup-${v.tool}`, false);
    for (let i = 0; i < RUNS; i++) {
      for (const s of scenarios) {
        const due = s.variants.filter((v) => i < v.runs);
        for (const [k, v] of (i % 2 === 0 ? due : [...due].reverse()).entries()) {
          await measure(s, v, `${s.key}-${i}-${k}`, true);
        }
        process.stderr.write(`  run ${i + 1}/${RUNS} ${s.key} done\n`);
      }
    }

    const sections: BenchSection[] = scenarios.map((s) => {
      const [base, ...others] = s.variants;
      return {
        title: s.title,
        rows: s.variants.map((v) => v.row),
        comparisons: nmap.available && base ? others.map((o) => ratioLine(base.row, o.row) + foundCaveat(base, o, tlsIds.size)) : [],
      };
    });
    if (!nmap.available) failures.push(`nmap unavailable, pkiscope measured alone: ${nmap.reason ?? "unknown reason"}`);

    return {
      name: tlsSweep.name,
      title: `${cidr} × ports ${PORTS} (${256 * 3} probes) on loopback, ${tlsIds.size} live TLS endpoints`,
      setup: [
        `machine: ${cpus().length} cores, node ${process.version}, ${nmap.available ? nmap.version : "nmap: unavailable"}`,
        `targets: ${cidr}, ports ${PORTS}; TLS on ${TLS_PORT} only: ${sampleTls.length} sample-PKI identities at ${span(sampleTls)} + ` +
          `${EXTRA_HOSTS.length} extra listeners at ${EXTRA_HOSTS.map((x) => `.${x.host}`).join(" ")} (re-using ${EXTRA_HOSTS.map((x) => x.identity).join(", ")}); ` +
          `plain-TCP banner at ${byStatus("not-tls").map((e) => e.address).join(" ")}, silent at ${silent.address}; ports ${EMPTY_PORTS.join(",")} empty everywhere`,
        `pkiscope: ${cli.how}; peak RSS via ${gnuTime ? "/usr/bin/time -f %M" : "/proc/<pid>/status VmHWM polling"}`,
        `runs: 1 untimed warm-up per tool, then ${RUNS} timed runs per row (nmap at NSE defaults: ${Math.min(RUNS, NMAP_DEFAULT_TIMEOUT_RUNS)}), ` +
          "interleaved, order reversed every other iteration",
      ],
      sections,
      notes: [
        ...warnings.map((w) => `WARNING: ${w}`),
        ...(cli.warning ? [`WARNING: ${cli.warning}`] : []),
        "Wall time is the whole process, start-up included (node loading pkiscope's modules; nmap loading NSE), timed around the spawn.",
        "pkiscope does more than nmap here: it records every observation in SQLite, builds chains against the trust anchors, fetches AIA " +
          `caIssuers (default on; the AIA server is ${PREFIX}.1, inside the same /24), runs the rules and writes report.json/.html/inventory.csv; ` +
          "nmap's ssl-cert prints the leaf certificate only. CRL and OCSP checks are off (--no-revocation): nmap does none, and the sample's " +
          "revocation services are deliberately slow.",
        "nmap runs as root here, so its port scan is a raw-socket SYN scan followed by a TLS connect per open port; pkiscope makes a TCP " +
          "connect per probe (768) and a TLS handshake on each open socket. -T4 is nmap's 'aggressive' timing template; no -sV " +
          `(ssl-cert's portrule fires on ${TLS_PORT} by port number, which is why every TLS listener is on ${TLS_PORT}).`,
        "Silent endpoint (accepts TCP, never answers): nmap's sslcert library fetches certificates under one global NSE mutex, one " +
          "handshake at a time, so a silent endpoint stalls every other ssl-cert script behind it. At NSE defaults nmap waits on it for tens of " +
          `seconds (see that row); with --script-timeout ${SILENT_WAIT_S}s it ends in about ${SILENT_WAIT_S} s but scripts queued on the mutex time out ` +
          `and certificates go missing (see 'found'). pkiscope waits ${SILENT_WAIT_S} s (--handshake-timeout ${SILENT_WAIT_S * 1000}, its default) ` +
          "on that socket only, in parallel with the rest. The like-for-like timing is the 'excluded' scenario.",
        "The TLS servers run inside the bench process and share the machine's cores with whichever tool is running.",
        "A measurement, not a test: no thresholds. 'found' is checked against the served endpoints so a fast but blind run would show.",
      ],
      failures,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}

/** Appended to a ratio line when the two sides did not find the same endpoints. */
function foundCaveat(a: Variant, b: Variant, expected: number): string {
  const range = (v: Variant): string => {
    if (v.foundCounts.length === 0) return "-";
    const lo = Math.min(...v.foundCounts);
    const hi = Math.max(...v.foundCounts);
    return lo === hi ? `${lo}/${expected}` : `${lo}-${hi}/${expected}`;
  };
  const all = (v: Variant): boolean => v.foundCounts.length > 0 && v.foundCounts.every((n) => n === expected);
  if (all(a) && all(b)) return "";
  return `  [NOT like for like: ${a.label} found ${range(a)}, ${b.label} found ${range(b)} TLS endpoints]`;
}

async function checkPkiscope(dbPath: string, expected: Expected, s: Scenario): Promise<FoundCheck> {
  const store = new SqliteStore(dbPath);
  try {
    const run = await store.findRun("latest");
    if (!run) return { tls: 0, found: "no run in store", warning: "the store holds no run" };
    const contents = await store.loadRun(run.id);
    const counts: Record<string, number> = {};
    const tls = new Set<string>();
    for (const e of contents.endpoints) {
      counts[e.status] = (counts[e.status] ?? 0) + 1;
      if (e.status === "tls") tls.add(`${e.address}:${e.port}`);
    }
    const others = Object.entries(counts).filter(([k]) => k !== "tls").map(([k, v]) => `${v} ${k}`).join(", ");
    const found = `${tls.size}/${expected.tlsIds.size} TLS endpoints${others ? ` (+${others})` : ""}, ${contents.certificates.length} certificates`;
    const problems = endpointDiff(expected.tlsIds, tls);
    if ((counts["not-tls"] ?? 0) !== s.expect.notTls) problems.push(`expected ${s.expect.notTls} not-tls endpoint(s), saw ${counts["not-tls"] ?? 0}`);
    if ((counts["timeout"] ?? 0) !== s.expect.timeout) problems.push(`expected ${s.expect.timeout} timeout endpoint(s), saw ${counts["timeout"] ?? 0}`);
    if (!run.complete) problems.push("run not marked complete");
    return problems.length > 0 ? { tls: tls.size, found, warning: problems.join("; ") } : { tls: tls.size, found };
  } finally {
    await store.close();
  }
}

/** The extra TLS listeners, reusing sample identities; returns their closers. */
async function startExtraListeners(network: SampleNetwork): Promise<(() => Promise<void>)[]> {
  const closers: (() => Promise<void>)[] = [];
  for (const { host, identity: name } of EXTRA_HOSTS) {
    const identity = network.pki.identities.find((i) => i.name === name);
    if (!identity) throw new Error(`sample identity ${name} not found; update this benchmark`);
    closers.push(await serveIdentity(identity, `${PREFIX}.${host}`, TLS_PORT));
  }
  return closers;
}

/** ".2-.18" style span of the last octets of some endpoints. */
function span(endpoints: readonly { address: string }[]): string {
  const last = endpoints.map((e) => Number(e.address.split(".").pop())).sort((a, b) => a - b);
  return last.length === 0 ? "-" : `.${last[0]}-.${last[last.length - 1]}`;
}

