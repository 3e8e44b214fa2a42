// Command-line wiring only: options are declared here and each action lazy-loads its
// implementation. Exit codes: EXIT_CODES below (README.md has the same table).
import { Command, CommanderError, Option } from "commander";
import { ScannerError, UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import { printable } from "../printable.js";
import { SEVERITIES } from "../model/types.js";
import { DEFAULT_FETCH, DEFAULT_PER_HOST, DEFAULT_PORTS, STARTTLS_PROTOCOL_NAMES, THRESHOLDS } from "../engine/defaults.js";
import { DEFAULT_SHARD_PROBES } from "../engine/shards.js";
import { DISTRIBUTED_DEFAULTS } from "../distributed/defaults.js";
import { DEFAULT_METRICS_OPTIONS } from "../exporter/options.js";

import { PKISCOPE_VERSION } from "../version.js";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Interrupt signal (SIGINT) for long commands; tests pass their own. */
  interrupt?: AbortSignal;
}

export interface GlobalOptions {
  db: string;
  quiet?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export const DEFAULTS = {
  db: "./pkiscope.db",
  out: "./pkiscope-report",
  concurrency: 512,
  connectTimeoutMs: 3000,
  handshakeTimeoutMs: 5000,
  ldapTimeoutMs: 10000,
} as const;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** How --at reads TIME (parsed in validation-time.ts, loaded with the command). */
const AT_TIME = "ISO 8601: a date (midnight UTC) or a date-time with Z or an offset, e.g. 2027-03-01 or 2027-03-01T09:00:00+01:00";

/** The exit codes, as `--help` prints them; README.md's "Exit codes" table says the same. */
const EXIT_CODES = `
Exit codes:
  0    done, whatever was found; a target that failed (unreachable, a refused LDAP bind) is
       recorded in the run as an error, and the scan goes on
  1    a finding at or above --fail-on
  2    usage error: an unknown command or option, a missing or malformed value (CIDR, range,
       port, number), an unreadable or invalid input file (--targets-file, --trust-anchors,
       --rubric, --pkic-mapping, --answers, --config), no such --run
  3    the store or the system failed: --db cannot be opened (a directory, not a SQLite file,
       PostgreSQL unreachable or refusing), the SQLite store's disk is full, PostgreSQL lost
       past the store's retries, reports cannot be written (a full disk), an unexpected fault
  130  interrupted (the first interrupt writes the partial run, marked incomplete)
`;

/**
 * Commander's parse errors (with its "Did you mean" line) as one line that points at the
 * command's --help, rather than the whole help after it: one error, one line.
 */
function oneLineErrors(cmd: Command, path: string): void {
  cmd.configureOutput({ outputError: (message, write) => write(`${message.trim().replace(/\s*\n\s*/g, " ")} (see ${path} --help)\n`) });
  for (const sub of cmd.commands) oneLineErrors(sub, `${path} ${sub.name()}`);
}

/** The probe options of commands that scan whole profiles: the daemon, the coordinator. */
function profileProbeOptions(cmd: Command, concurrencyScope: string): Command {
  return cmd
    .option("-c, --concurrency <n>", `probes in flight at once, ${concurrencyScope}`, String(DEFAULTS.concurrency))
    .option("--connect-timeout <ms>", "TCP connect timeout", String(DEFAULTS.connectTimeoutMs))
    .option("--handshake-timeout <ms>", "TLS handshake timeout after connect", String(DEFAULTS.handshakeTimeoutMs))
    .option("--no-fetch", "fetch nothing a certificate points at (AIA, CRL, OCSP)");
}

function common(cmd: Command): Command {
  return cmd
    .option("--db <path|url>", "the store: a SQLite file, or a postgres:// URL (PostgreSQL; a password in it is never logged or stored)", DEFAULTS.db)
    .option("-q, --quiet", "print nothing but errors")
    .option("--json", "log JSON lines (pino) on stderr")
    .option("-v, --verbose", "log debug detail");
}

export function createProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command("pkiscope")
    .description("Find every certificate and CA on your networks and directories, and judge the PKI from evidence.")
    .version(PKISCOPE_VERSION)
    .addHelpText("afterAll", EXIT_CODES)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  const scan = common(program.command("scan"));
  scan
    .description("scan TLS endpoints and certificate files, build the inventory, run the rules, write reports")
    .option("--config <file>", "config file (YAML) of scan profiles: networks with owner, site and tags, sources, trust anchors, thresholds, rubric")
    .option("--profile <name>", "the profile of --config to scan; options given beside it override the profile's (--targets replaces its networks' targets, --ports their ports, --exclude adds to its exclusions)")
    .option("-t, --targets <list>", "CIDRs (IPv4/IPv6), ranges (a.b.c.d-a.b.c.e), addresses, hostnames (sent as SNI), host:port, name@address (name sent as SNI to the address, no DNS), any of them as protocol://target to speak a STARTTLS protocol first (smtp://host:2525; no port: the protocol's default ports; tls:// for TLS at once); comma-separated, repeatable", collect)
    .option("--targets-file <path>", "file of targets, one or more per line, # comments")
    .option("--sni-names <file>", "virtual hosts: lines of \"name address\" (probe the address with that name as SNI) or \"name\" (probe every address target with it too); # comments")
    .option("--protocols", "protocol posture: one extra handshake per version (TLS 1.0, 1.1, 1.2, 1.3) on every TLS endpoint, to see which it accepts")
    .option("-p, --ports <list>", `ports to probe where a target names none (default ${DEFAULT_PORTS.join(",")})`)
    .option("--exclude <list>", "CIDRs, ranges or addresses never to send a packet to; comma-separated, repeatable", collect)
    .option("--files <paths...>", "import PEM/DER certificates from files and directories")
    .option("--keystore-password-env <var>", "environment variable holding the password of PKCS#12 files, Java keystores and encrypted keys under --files (the empty password and Java's \"changeit\" are tried too)")
    .option("--ldap <url>", "read AD CS (enterprise CAs, templates, NTAuth, ACLs) from this DC: ldaps://host, or ldap://host with --ldap-starttls; repeatable", collect)
    .option("--ldap-auth <method>", "how to bind to --ldap: simple (--bind-dn and a password) or kerberos (SASL GSSAPI with the ticket from kinit; KRB5CCNAME is honoured)", "simple")
    .option("--ldap-spn-host <host>", "kerberos: the DC's host name for the service principal ldap/<host> (default: the --ldap host)")
    .option("--bind-dn <dn>", "DN (or user@domain) to bind to --ldap as")
    .option("--password-env <var>", "environment variable holding the --bind-dn password (default: prompt on a terminal)")
    .option("--ldap-starttls", "secure ldap:// with StartTLS before binding")
    .option("--ldap-insecure", "accept any DC certificate (labs only)")
    .option("--ldap-plaintext", "allow a simple bind over unencrypted ldap:// (sends the password in clear)")
    .option("--ldap-ca <pem>", "CA certificates that verify the DC's certificate (default: Node's roots)")
    .option("--ldap-timeout <ms>", "timeout of each LDAP step", String(DEFAULTS.ldapTimeoutMs))
    .option("--trust-anchors <pem>", "PEM bundle of sanctioned roots (default: Node's Mozilla root store)")
    .option("--rubric <file>", "maturity rubric JSON (default: the shipped rules/maturity/keyfactor-rubric.json; copy and tune it)")
    .option("--pkic-mapping <file>", "PKI Consortium model mapping JSON (default: the shipped rules/maturity/pkic-mapping.json; copy and tune it)")
    .option("--at <time>", `judge as of TIME instead of now (${AT_TIME}): moves every time-dependent verdict, namely expired, expiring-soon, CRL freshness (crl-stale, crl-expiring), OCSP freshness and responder validity (ocsp-bad-response), path validity, and the maturity metrics that read them; what is collected, and when, is not shifted`)
    .option("-c, --concurrency <n>", "probes in flight at once (clamped, with a warning, to what the open-files limit, ulimit -n, leaves room for)", String(DEFAULTS.concurrency))
    .option("--rate <n>", "at most N new connections per second across the whole scan: every probe, posture handshake and STARTTLS connection, in every probe thread (default: no bound)")
    .option("--per-host <n>", "connections in flight to one target address or hostname at once (many ports, names or posture handshakes)", String(DEFAULT_PER_HOST))
    .option("--connect-timeout <ms>", "TCP connect timeout", String(DEFAULTS.connectTimeoutMs))
    .option("--handshake-timeout <ms>", "TLS handshake timeout after connect", String(DEFAULTS.handshakeTimeoutMs))
    .option("--starttls <port=protocol>", `probe PORT with this STARTTLS protocol (${STARTTLS_PROTOCOL_NAMES.join(", ")}), or tls for TLS at once; comma-separated, repeatable (default: by port, see the README; a target's own smtp://host:2525 wins)`, collect)
    .option("--starttls-timeout <ms>", "timeout of each step of a STARTTLS preamble (banner, command, reply; the whole preamble gets four) (default: the handshake timeout)")
    .option("--shard-size <n>", "probes per shard: the unit a killed scan resumes from (--resume) and distributed workers share out", String(DEFAULT_SHARD_PROBES))
    .option("--resume <run>", "finish an interrupted or killed run (id, unique prefix or latest) from the plan stored with it: the shards it finished are not probed again, secrets are read again from the environment variables it named; takes no targets or sources of its own")
  // The rules declare the thresholds they read; each is a scan option.
  for (const t of THRESHOLDS) scan.option(`${t.option} <n>`, t.description, String(t.default));
  scan
    .option("--no-revocation", "do not query CRL distribution points or OCSP responders found in certificates")
    .option("--crl-url <url>", "also fetch this CRL (http, https, ldap); repeatable", collect)
    .option("--crl-file <path>", "also read this CRL file (PEM or DER); repeatable", collect)
    .option("--no-fetch", "fetch nothing a certificate points at (AIA, CRL, OCSP): stay within the target list")
    .option("--fetch-allow <list>", "only fetch from these hosts, *.domains, addresses or CIDRs; repeatable", collect)
    .option("--fetch-deny <list>", "never fetch from these hosts, *.domains, addresses or CIDRs; repeatable", collect)
    .option("--fetch-timeout <ms>", "total time for one fetch", String(DEFAULT_FETCH.timeoutMs))
    .option("--fetch-max-bytes <n>", "largest response read (CRLs can be tens of MB)", String(DEFAULT_FETCH.maxBytes))
    .option("--fetch-per-host <n>", "fetches in flight per host", String(DEFAULT_FETCH.perHostConcurrency))
    .option("-o, --out <dir>", "directory for the reports: report.json, report.html, inventory.csv, report.cdx.json", DEFAULTS.out)
    .option("-f, --format <formats>", "reports to write, comma-separated: json, html, csv, cbom (CycloneDX 1.6 crypto-asset inventory, report.cdx.json)", "json,html,csv")
    .option("--no-report", "write no report files (the run stays in the store)")
    .addOption(new Option("--fail-on <severity>", "exit 1 when a finding at or above this severity exists").choices(SEVERITIES))
    .addOption(new Option("--no-progress", "no progress bar even on a terminal"))
    .action(async (options, cmd: Command) => {
      const { scanCommand } = await import("./scan-command.js");
      setExitCode(await scanCommand(options, io, (key) => cmd.getOptionValueSource(key) === "cli"));
    });

  common(program.command("report"))
    .description("re-render the reports of a stored run")
    .option("--run <id>", "run id (or unique prefix), or latest", "latest")
    .option("-f, --format <formats>", "json, html, csv, cbom (CycloneDX 1.6), comma-separated; with no --out, one format goes to stdout", "json")
    .option("-o, --out <dir>", "write report files to this directory instead of stdout")
    .option("--at <time>", `re-judge the run as of TIME (${AT_TIME}): from the run's own observations, anchors and thresholds, its paths, CRL and OCSP judgements, rules and maturity (shipped rubric and mapping unless given) are redone at that moment; nothing is saved, the run keeps its scan's conclusions`)
    .option("--rubric <file>", "with --at: maturity rubric JSON (default: the shipped one)")
    .option("--pkic-mapping <file>", "with --at: PKI Consortium model mapping JSON (default: the shipped one)")
    .action(async (options) => {
      const { reportCommand } = await import("./report-command.js");
      setExitCode(await reportCommand(options, io));
    });

  common(program.command("runs"))
    .description("list the runs in the store: id, start, state (complete, failed, interrupted, incomplete) and targets")
    .action(async (options) => {
      const { runsCommand } = await import("./report-command.js");
      setExitCode(await runsCommand(options, io));
    });

  common(program.command("diff"))
    .description("what changed between two runs: certificates, CAs and endpoints appeared or vanished (with first and last seen), renewals and their lead time, certificates expired in service, findings opened and resolved, maturity per category")
    .option("--from <id>", "the earlier run (id, unique prefix, or latest; default: the complete run of the same profile, or the same targets, before --to)")
    .option("--to <id>", "the later run (default: the latest complete run, of --from's profile or targets when --from is given)")
    .option("-f, --format <format>", "text, json (the diff whole) or md", "text")
    .action(async (options) => {
      const { diffCommand } = await import("./diff-command.js");
      setExitCode(await diffCommand(options, io));
    });

  common(program.command("alert"))
    .description("deliver the alerts of a profile's run to its sinks (webhook, email, command): findings opened that are critical or high, certificates crossing the expiry threshold, certificates and endpoints that vanished, maturity regressions, a run that did not complete; each compared with the profile's previous complete run, so an open finding alerts once")
    .requiredOption("--config <file>", "config file (YAML) whose profile names the sinks")
    .requiredOption("--profile <name>", "the profile of --config")
    .option("--run <id>", "the run (id, unique prefix, or latest: the profile's latest run)", "latest")
    .action(async (options) => {
      const { alertCommand } = await import("./alert-command.js");
      setExitCode(await alertCommand(options, io));
    });

  const scoring = (cmd: Command): Command => common(cmd)
    .option("--run <id>", "a stored run (id, unique prefix, or latest); repeat to score several runs as one organisation", collect)
    .option("--rubric <file>", "maturity rubric JSON (default: the shipped rules/maturity/keyfactor-rubric.json)")
    .option("--pkic-mapping <file>", "PKI Consortium model mapping JSON (default: the shipped rules/maturity/pkic-mapping.json)");

  scoring(program.command("maturity"))
    .description("score the maturity of stored runs: one run, or the union of several (sites, the AD scan, store imports), each piece of evidence citing its run")
    .option("-f, --format <format>", "text (a line per category) or json (levels, criteria, evidence, PKIC ratings, metrics)", "text")
    .option("-o, --out <dir>", "also write maturity.json to this directory")
    .action(async (options) => {
      const { maturityCommand } = await import("./maturity-command.js");
      setExitCode(await maturityCommand({ ...options, run: options.run ?? ["latest"] }, io));
    });

  program.command("questionnaire")
    .description("the self-assessment questionnaire (the model's 26 questions)")
    .command("init")
    .description("write the answers file to fill in: each question's id, text and claim, answer: (yes, partly, no or unknown) and comment:")
    .option("-o, --out <file>", "write it here instead of stdout")
    .option("--questionnaire <file>", "questionnaire JSON (default: the shipped rules/questionnaire/keyfactor-questionnaire.json)")
    .option("--force", "overwrite an existing --out file")
    .action(async (options) => {
      const { questionnaireInitCommand } = await import("./maturity-command.js");
      setExitCode(await questionnaireInitCommand(options, io));
    });

  scoring(program.command("assess"))
    .description("hold a filled-in answers file against the evidence of stored runs: assessment.json, .html and .md with a verdict per question (supported, contradicted, no-evidence) and the levels answers settle")
    .requiredOption("--answers <file>", "the answers file (pkiscope questionnaire init writes one)")
    .option("--questionnaire <file>", "questionnaire JSON (default: the shipped one)")
    .option("-o, --out <dir>", "directory for assessment.json, assessment.html, assessment.md", "./pkiscope-assessment")
    .action(async (options) => {
      const { assessCommand } = await import("./maturity-command.js");
      setExitCode(await assessCommand({ ...options, run: options.run ?? ["latest"] }, io));
    });

  common(program.command("metrics"))
    .description("Prometheus metrics of the store's latest runs (per profile: certificate expiry of served leaves, findings, maturity, last run): printed once, or served at /metrics")
    .option("--serve <port>", "serve /metrics on this port until interrupted, reading the store on every scrape (0: any free port)")
    .option("--host <address>", "address to serve on (metrics name hosts and certificates: loopback unless you mean it)", "127.0.0.1")
    .option("--max-certificate-series <n>", "most certificate expiry series, soonest expiry first (pkiscope_certificate_series_dropped counts the rest)", String(DEFAULT_METRICS_OPTIONS.maxCertificateSeries))
    .option("--max-label-length <n>", "longest label value (subjects and issuers are cut)", String(DEFAULT_METRICS_OPTIONS.maxLabelLength))
    .action(async (options) => {
      const { metricsCommand } = await import("./metrics-command.js");
      setExitCode(await metricsCommand(options, io));
    });

  const daemon = common(program.command("daemon"))
    .description("scan the profiles of --config that have a schedule, each on its cron schedule (one run of a profile at a time, none inside its quiet hours), into --db until SIGTERM or SIGINT, which saves the runs in flight incomplete and exits 0; a run that fails is recorded failed with its error, and each profile's sinks get its alerts")
    .requiredOption("--config <file>", "config file (YAML) of scan profiles; those with a schedule: are run")
    .option("--metrics-port <port>", "also serve the store's Prometheus metrics, and the daemon's run counts per profile, at /metrics on this port (0: any free port)")
    .option("--metrics-host <address>", "address to serve metrics on (loopback unless you mean it)", "127.0.0.1");
  profileProbeOptions(daemon, "per run")
    .action(async (options) => {
      const { daemonCommand } = await import("./daemon-command.js");
      setExitCode(await daemonCommand(options, io));
    });

  const coordinator = common(program.command("coordinator"))
    .description("a distributed scan of a profile (docs/distributed.md): plans it as scan --config --profile would, opens the run in the shared PostgreSQL --db, queues its shards for pkiscope worker processes, prints the run id; with --wait, waits until the workers have scanned it and it is analysed, and exits as scan would. --resume RUN picks up a run whose coordinator died instead")
    .option("--config <file>", "config file (YAML) of scan profiles")
    .option("--profile <name>", "the profile of --config to scan; a network's site: sends its shards only to workers of that --site")
    .option("--resume <run>", "pick up a run whose coordinator died before queuing every shard or before it was concluded (id, unique prefix or latest), from the plan stored with it: queues its shards not done (those queued before stay as they are), or its analysis when they all are; takes no --config, --profile or probe options of its own")
    .option("--at <time>", `judge the run as of TIME instead of the moment its analysis starts (${AT_TIME})`);
  profileProbeOptions(coordinator, "per worker, unless the worker's --concurrency says otherwise")
    .option("--shard-size <n>", "probes per shard: the unit workers claim, and scan again from its start when one dies", String(DEFAULT_SHARD_PROBES))
    .option("--lease-seconds <n>", "how long a shard whose worker stopped renewing its lease (every third of it) waits before it is given to another (see docs/distributed.md)", String(DISTRIBUTED_DEFAULTS.leaseSeconds))
    .option("--retry-limit <n>", "how many times more a shard is given out after its worker died or failed; then the run cannot conclude", String(DISTRIBUTED_DEFAULTS.retryLimit))
    .option("--wait", "wait until the run is concluded; exit 0, 1 at --fail-on, 3 when a shard failed past its retries, 130 when interrupted (the run goes on in the workers)")
    .option("--poll-seconds <n>", "with --wait: how often to look at the run", String(DISTRIBUTED_DEFAULTS.pollSeconds))
    .option("-o, --out <dir>", "with --wait: write the run's reports here")
    .option("-f, --format <formats>", "with --out: json, html, csv, cbom, comma-separated", "json,html,csv")
    .addOption(new Option("--fail-on <severity>", "with --wait: exit 1 when a finding at or above this severity exists").choices(SEVERITIES))
    .action(async (options, cmd: Command) => {
      const { coordinatorCommand } = await import("./coordinator-command.js");
      setExitCode(await coordinatorCommand(options, io, (key) => cmd.getOptionValueSource(key) === "cli"));
    });

  common(program.command("worker"))
    .description("claim shards of distributed scans from the shared PostgreSQL --db and scan them, one at a time, until SIGTERM or SIGINT (which lets the shard in hand finish, then exits 0); the last shard of a run queues its analysis, which a worker runs")
    .option("--site <label>", "the site this worker scans from: it takes the shards of networks with this site: first, then shards any worker may take")
    .option("-c, --concurrency <n>", "probes in flight within the shard in hand (default: the run's, the coordinator's --concurrency); a worker holds one shard at a time: more shards at once take more workers")
    .option("--once", "exit as soon as there is nothing to claim")
    .option("--idle-exit <seconds>", "exit after this long with nothing to claim")
    .option("--poll-seconds <n>", "how often to look at empty queues", String(DISTRIBUTED_DEFAULTS.pollSeconds))
    .option("--expiry-check-seconds <n>", "how often to return shards of dead workers to the queue once their lease has expired (one worker does it per interval)", String(DISTRIBUTED_DEFAULTS.expiryCheckSeconds))
    .action(async (options) => {
      const { workerCommand } = await import("./worker-command.js");
      setExitCode(await workerCommand(options, io));
    });

  common(program.command("demo"))
    .description("generate a sample PKI with deliberate defects, serve it on loopback, scan it, write the reports (store: <out>/pkiscope.db unless --db)")
    .option("-o, --out <dir>", "report directory", "./pkiscope-demo")
    .option("--prefix <a.b.c>", "loopback /24 to serve the sample network on", "127.77.0")
    .option("--port <n>", "port the sample TLS services listen on", "8443")
    .addOption(new Option("--no-progress", "no progress bar even on a terminal"))
    .action(async (options) => {
      const { demoCommand } = await import("./demo-command.js");
      setExitCode(await demoCommand(options, io));
    });

  oneLineErrors(program, "pkiscope");
  return program;
}

/** Runs the CLI; returns the exit code (never calls process.exit). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = createProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const log = createLogger({ stream: io.stderr });
    if (err instanceof UsageError) {
      log.error(err.message);
      return 2;
    }
    if (err instanceof ScannerError) {
      log.error(`${err.message} (${err.code})`);
      return 3;
    }
    if (!(err instanceof Error)) {
      log.error(String(err));
      return 3;
    }
    // A record is one line (the logger sees to it), so the stack's frames follow as lines of their own.
    log.error(`${err.name}: ${err.message}`);
    for (const frame of (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line))) io.stderr.write(`${printable(frame)}\n`);
    return 3;
  }
}
