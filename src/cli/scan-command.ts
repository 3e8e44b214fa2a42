// `pkiscope scan`: validates options up front (naming the option at fault), runs the scan,
// writes the reports and applies --fail-on.
import { access, constants, readFile } from "node:fs/promises";
import { type ScanOutcome, type ScanHooks, type ScanPlan, parseStartTlsPorts, resumeScan, runScan, startTlsSpecs } from "../engine/scan.js";
import { UsageError } from "../errors.js";
import { FetchPolicy } from "../net/fetch-policy.js";
import { type Severity, SEVERITIES } from "../model/types.js";
import { DEFAULT_PORTS, THRESHOLDS } from "../engine/defaults.js";
import { loadPkicMapping } from "../maturity/pkic.js";
import { loadRubric } from "../maturity/rubric.js";
import { readReportHistory } from "../engine/trends.js";
import { buildReport } from "../reports/report-model.js";
import { DEFAULT_REPORT_FORMATS, parseReportFormats, writeReports } from "../reports/write.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { type SniName, parseSniNames, sniTargetSpecs } from "../targets/sni-names.js";
import {
  parsePortList,
  parseTarget,
  parseTargetsText,
  splitList,
} from "../targets/targets.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { type LdapCommandOptions, ldapSources } from "./ldap-options.js";
import { optionKey, scanProfile } from "./profile-options.js";
import { loggerFor, progressFor, positiveInt, withInterrupt } from "./support.js";
import { parseValidationTime } from "./validation-time.js";

export interface ScanCommandOptions extends GlobalOptions, LdapCommandOptions {
  /** A config file and the profile of it to scan (--config, --profile). */
  config?: string;
  profile?: string;
  targets?: string[];
  targetsFile?: string;
  /** Virtual hosts: a file of "name" or "name address" lines (--sni-names). */
  sniNames?: string;
  /** Protocol posture (--protocols). */
  protocols?: boolean;
  /** STARTTLS by port, PORT=PROTOCOL items (--starttls; a profile's networks' maps first). */
  starttls?: string[];
  starttlsTimeout?: string;
  /** Probes per shard (--shard-size). */
  shardSize?: string;
  /** A run to finish from its stored plan (--resume). */
  resume?: string;
  ports?: string;
  exclude?: string[];
  files?: string[];
  /** The environment variable holding the keystore password (--keystore-password-env). */
  keystorePasswordEnv?: string;
  trustAnchors?: string;
  rubric?: string;
  pkicMapping?: string;
  at?: string;
  concurrency: string;
  /** New connections per second across the scan (--rate); no bound when absent. */
  rate?: string;
  /** Connections in flight per target (--per-host); DEFAULT_PER_HOST when absent. */
  perHost?: string;
  connectTimeout: string;
  handshakeTimeout: string;
  /** Threshold options the rules declare (--expiry-days, --slow-ms, ...), by camel-cased option name. */
  [threshold: string]: unknown;
  revocation: boolean;
  crlUrl?: string[];
  crlFile?: string[];
  fetch: boolean;
  fetchAllow?: string[];
  fetchDeny?: string[];
  fetchTimeout: string;
  fetchMaxBytes: string;
  fetchPerHost: string;
  out: string;
  /** Report formats to write (--format, comma-separated); json, html and csv when absent. */
  format?: string;
  report: boolean;
  failOn?: Severity;
  progress: boolean;
}

/** `givenOnCli(key)`: whether an option was given on the command line, where it overrides the --profile's value. */
export async function buildScanPlan(
  given: ScanCommandOptions, env: NodeJS.ProcessEnv = {}, givenOnCli: (key: string) => boolean = (key) => given[key] !== undefined,
): Promise<ScanPlan> {
  if (given.profile && !given.config) throw new UsageError("--profile needs --config FILE");
  const profile = given.config ? await scanProfile(given, givenOnCli) : null;
  const options: ScanCommandOptions = { ...given, ...profile?.options };
  const targetTexts = (options.targets ?? []).flatMap(splitList);
  if (options.targetsFile) {
    let text: string;
    try {
      text = await readFile(options.targetsFile, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read --targets-file ${options.targetsFile}: ${(err as Error).message}`);
    }
    targetTexts.push(...parseTargetsText(text));
  }
  const files = options.files ?? [];
  const crlUrls = options.crlUrl ?? [];
  const crlFiles = options.crlFile ?? [];
  // A CRL file named on the command line is input, like --targets-file: unreadable is a usage error, not a finding.
  for (const path of crlFiles) {
    try {
      await access(path, constants.R_OK);
    } catch (err) {
      throw new UsageError(`cannot read --crl-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const ldap = await ldapSources(options, env);
  const specs = [...targetTexts.map(parseTarget), ...(profile?.specs ?? [])];
  if (options.sniNames) specs.push(...sniTargetSpecs(await readSniNames(options.sniNames), specs, options.sniNames));
  if (specs.length + files.length + crlUrls.length + crlFiles.length + ldap.length === 0) {
    throw new UsageError("nothing to scan: give --targets, --targets-file, --files, --crl-url, --crl-file, --ldap, or a --profile with networks or sources");
  }
  const fetch = {
    enabled: options.fetch,
    allow: (options.fetchAllow ?? []).flatMap(splitList),
    deny: (options.fetchDeny ?? []).flatMap(splitList),
    timeoutMs: positiveInt(options.fetchTimeout, "--fetch-timeout"),
    maxBytes: positiveInt(options.fetchMaxBytes, "--fetch-max-bytes"),
    perHostConcurrency: positiveInt(options.fetchPerHost, "--fetch-per-host"),
  };
  // Fail on a bad list, rubric or mapping now, not after the sweep.
  new FetchPolicy(fetch);
  if (options.rubric) loadRubric(options.rubric);
  if (options.pkicMapping) loadPkicMapping(options.pkicMapping);
  return {
    targetTexts: [...targetTexts, ...(profile?.targetTexts ?? [])],
    specs: specs.flatMap(startTlsSpecs),
    ports: options.ports ? parsePortList(options.ports) : [...DEFAULT_PORTS],
    exclude: (options.exclude ?? []).flatMap(splitList),
    files,
    trustAnchors: options.trustAnchors ?? null,
    ...(options.rubric ? { rubric: options.rubric } : {}),
    ...(options.pkicMapping ? { pkicMapping: options.pkicMapping } : {}),
    ...(options.at !== undefined ? { at: parseValidationTime(options.at) } : {}),
    concurrency: positiveInt(options.concurrency, "--concurrency"),
    ...(options.rate !== undefined ? { rate: positiveInt(options.rate, "--rate") } : {}),
    ...(options.perHost !== undefined ? { perHost: positiveInt(options.perHost, "--per-host") } : {}),
    timeouts: {
      connectMs: positiveInt(options.connectTimeout, "--connect-timeout"),
      handshakeMs: positiveInt(options.handshakeTimeout, "--handshake-timeout"),
      ...(options.starttlsTimeout !== undefined ? { starttlsStepMs: positiveInt(options.starttlsTimeout, "--starttls-timeout") } : {}),
    },
    fetch,
    revocation: { enabled: options.revocation, crlUrls, crlFiles },
    thresholds: Object.fromEntries(THRESHOLDS.map((t) => [t.key, positiveInt(String(options[optionKey(t.option)] ?? t.default), t.option)])),
    ldap,
    ...(profile ? { profile: profile.record } : {}),
    ...(options.keystorePasswordEnv ? { keystorePassword: keystorePasswordFrom(options.keystorePasswordEnv, env) } : {}),
    ...(options.protocols ? { protocols: true } : {}),
    starttls: parseStartTlsPorts(options.starttls ?? []),
    ...(options.shardSize !== undefined ? { shardProbes: positiveInt(options.shardSize, "--shard-size") } : {}),
    secretsFrom: {
      ...(options.passwordEnv ? { ldapPasswordEnv: options.passwordEnv } : {}),
      ...(options.keystorePasswordEnv ? { keystorePasswordEnv: options.keystorePasswordEnv } : {}),
    },
  };
}

/** What --resume cannot take beside it: the run's targets and sources are its stored plan's. */
const PLAN_OPTIONS = ["config", "profile", "targets", "targetsFile", "sniNames", "files", "ldap", "crlUrl", "crlFile"] as const;

async function readSniNames(path: string): Promise<SniName[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --sni-names ${path}: ${(err as Error).message}`);
  }
  return parseSniNames(text, path);
}

/** The keystore password from its environment variable (an empty value is the empty password); never from argv. */
function keystorePasswordFrom(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (value === undefined) throw new UsageError(`--keystore-password-env ${name} is unset`);
  return value;
}

export async function scanCommand(options: ScanCommandOptions, io: CliIo, givenOnCli?: (key: string) => boolean): Promise<number> {
  let scan: (store: Store, hooks: ScanHooks) => Promise<ScanOutcome>;
  if (options.resume !== undefined) {
    const resume = options.resume;
    const extra = PLAN_OPTIONS.find((key) => options[key] !== undefined);
    if (extra) throw new UsageError(`--resume ${resume} takes the run's stored targets and sources: drop --${kebab(extra)}`);
    scan = (store, hooks) => resumeScan(store, resume, io.env, hooks);
  } else {
    const plan = await buildScanPlan(options, io.env, givenOnCli);
    scan = (store, hooks) => runScan(store, plan, hooks);
  }
  const formats = options.format === undefined ? DEFAULT_REPORT_FORMATS : parseReportFormats(options.format);
  const log = loggerFor(options, io);
  const store = await openStore(options.db);
  try {
    const progress = progressFor(options, io);
    const outcome = await withInterrupt(io, log, (signal) =>
      scan(store, { log, signal, onStart: progress.start, onProgress: progress.tick, onCollected: progress.stop }),
    );
    // The report is built from the view the rules read: no second read of the run.
    const report = buildReport(outcome.view, outcome.conclusions, await readReportHistory(store, outcome.view, outcome.conclusions));
    if (options.report) {
      const written = await writeReports(report, options.out, formats);
      log.info(`reports: ${written.join(", ")}`);
    }
    log.info(summaryLine(report.summary.findingsBySeverity, report.summary.endpointsByStatus, report.summary.certificates));
    if (!report.scan.complete) {
      log.warn(`run ${report.scan.id} was interrupted: its inventory and findings are partial`);
      return 130;
    }
    return failOnExitCode(options.failOn, report.summary.findingsBySeverity);
  } finally {
    await store.close();
  }
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function summaryLine(findings: Record<Severity, number>, endpoints: Record<string, number>, certificates: number): string {
  const f = SEVERITIES.map((s) => `${findings[s]} ${s}`).join(", ");
  const e = Object.entries(endpoints).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
  return `endpoints: ${e}; certificates: ${certificates}; findings: ${f}`;
}

export function failOnExitCode(failOn: Severity | undefined, findings: Record<Severity, number>): number {
  if (!failOn) return 0;
  const gate = SEVERITIES.indexOf(failOn);
  return SEVERITIES.some((s, i) => i <= gate && findings[s] > 0) ? 1 : 0;
}
