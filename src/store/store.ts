// The store's contract. Every method is async so a PostgreSQL store (for /8 address plans and
// many workers) can implement the same interface; the embedded SQLite store answers at once.
import type { SeenSpan } from "../model/diff.js";
import type { CrlObservation, OcspObservation, UrlFetchRecord } from "../model/revocation.js";
import type { FileRecord, PrivateKeyRecord } from "../model/keys.js";
import type { MaturityScore } from "../model/maturity.js";
import type { MaturityLevels } from "../model/trends.js";
import type { PkicAssessment } from "../model/pkic.js";
import type { RuleMeta, RuleOutcome } from "../model/rules.js";
import type {
  CertificateRecord,
  EndpointObservation,
  Finding,
  PathResult,
  RunInfo,
  SightingSource,
} from "../model/types.js";

export interface StoredCertificate {
  sha256: string;
  der: Buffer;
  /** null when the DER could not be parsed. */
  record: CertificateRecord | null;
  parseError: string | null;
  subjectNameHash: string | null;
  issuerNameHash: string | null;
  /** PARSER_VERSION of the parser that produced `record`. */
  parserVersion: number;
}

export interface SightingRow {
  sha256: string;
  source: SightingSource;
  location: string;
  position: number | null;
  observedAt: string;
  error: string | null;
}

/** An endpoint as stored: the chain is kept as certificate ids, the DER lives once in certificates. */
export type EndpointRow = Omit<EndpointObservation, "chainDer"> & {
  id: string;
  chain: string[];
};

/** A structured snapshot a directory collector took (AD CS configuration), stored as JSON. */
export interface DirectorySnapshotRow {
  /** Which collector, e.g. "adcs". */
  kind: string;
  /** Where it was read from, e.g. "ldaps://dc1.example:636" (never credentials). */
  source: string;
  observedAt: string;
  snapshot: unknown;
}

export interface ObservationBatch {
  endpoints: EndpointRow[];
  certificates: StoredCertificate[];
  sightings: SightingRow[];
  snapshots: DirectorySnapshotRow[];
  /** CRL, OCSP and AIA fetches as the collectors saw them. */
  fetches: UrlFetchRecord[];
  /** CRL DER by sha256, stored once however many runs fetch the same CRL. */
  crlBodies: { sha256: string; der: Buffer }[];
  /** Private keys found in scanned files (facts, never key material). */
  privateKeys: PrivateKeyRecord[];
  /** Keystores, and files that could not be read whole. */
  fileRecords: FileRecord[];
}

export interface RuleFailure {
  ruleId: string;
  error: string;
}

/** What the collectors recorded for a run: the input of its analysis. */
export interface RunObservations {
  run: RunInfo;
  endpoints: EndpointRow[];
  sightings: SightingRow[];
  certificates: StoredCertificate[];
  snapshots: DirectorySnapshotRow[];
  fetches: UrlFetchRecord[];
  /**
   * Private keys found in scanned files, and the files recorded on their own (keystores,
   * unreadable ones). The store always reads them (empty for runs before schema 5); a run built
   * by hand may leave them out.
   */
  privateKeys?: PrivateKeyRecord[];
  fileRecords?: FileRecord[];
  /** DER of the CRLs fetched, by sha256 (loaded only when asked: analysis needs it, reports do not). */
  crlBodies: Map<string, Buffer>;
}

/** What the analysis derived from a run's observations; stored with the run, never recomputed for a report. */
export interface RunAnalysis {
  paths: PathResult[];
  /** sha256 of the trust anchors sanctioned for this run. */
  anchors: string[];
  /** CRLs judged against the run's certificates. */
  crls: CrlObservation[];
  /** OCSP answers (responders' and staples) judged. */
  ocsp: OcspObservation[];
}

/** What ran over the analysis, saved with it so an old run re-renders as it was reported. */
export interface RunConclusions {
  findings: Finding[];
  ruleFailures: RuleFailure[];
  ruleOutcomes: RuleOutcome[];
  /** Metadata of every rule that ran, as that version of pkiscope had it. */
  rules: RuleMeta[];
  thresholds: Record<string, number>;
  pkiscopeVersion: string;
  /** When the analysis ran. */
  analysedAt: string;
  /** The moment every time-dependent verdict (expiry, CRL and OCSP freshness, path validity) was judged at: analysedAt unless --at moved it. */
  validationTime: string;
  /** The run's maturity as the rubric of its analysis scored it; null for runs scored before maturity existed. */
  maturity: MaturityScore | null;
  /** The PKI Consortium model ratings the run's metrics suggest; null for runs analysed before pkiscope suggested them. */
  pkic: PkicAssessment | null;
}

/** A run as stored: observations (without CRL bodies), analysis and conclusions. */
export type RunContents = Omit<RunObservations, "crlBodies"> & RunAnalysis & RunConclusions;

/** A certificate of a run with the fields the collection passes plan from (no DER). */
export interface CertificateLead {
  sha256: string;
  subjectNameHash: string;
  issuerNameHash: string;
  selfIssued: boolean;
  serialNumber: string;
  caIssuersUrls: string[];
  crlDistributionPoints: string[];
  ocspUrls: string[];
  /** Served by an endpoint as its leaf. */
  servedAsLeaf: boolean;
}

export interface NewRun {
  targets: string[];
  ports: number[];
  options: Record<string, unknown>;
  /** When the run started (ISO 8601); default now. Only a replayed schedule sets it (tests of scan cadence). */
  startedAt?: string;
}

/** An endpoint of a run in its history: the leaf it served and that leaf's validity (no DER). */
export interface HistoryEndpoint {
  id: string;
  observedAt: string;
  /** sha256 of the leaf served. */
  leaf: string;
  /** The leaf's validity; null when it could not be parsed. */
  notBefore: string | null;
  notAfter: string | null;
}

/** A finding of a run in its history, by its stable id, with the endpoints it was raised on. */
export interface HistoryFinding {
  id: string;
  ruleId: string;
  endpoints: string[];
}

/** One run as its history sees it: the endpoints that served a certificate, and the findings on them. */
export interface HistoryRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  endpoints: HistoryEndpoint[];
  findings: HistoryFinding[];
}

/** A run and the earlier runs of the same endpoints, for renewal lead times, scan cadence and regressions. */
export interface RunHistory {
  /** The run itself as stored (its findings once its conclusions are saved). */
  run: HistoryRun;
  /**
   * Earlier complete runs that saw at least one endpoint of `run` serve a certificate, oldest
   * first, the most recent `limit` of them; each holds only the endpoints `run` also has, and the
   * findings raised on them.
   */
  earlier: readonly HistoryRun[];
}

/** How many earlier runs a history holds unless asked otherwise: enough for a year of weekly scans. */
export const DEFAULT_HISTORY_RUNS = 50;

export interface SeenSpanOptions {
  /** Count only runs started no later than this run (in the store's order), so a run's report reads alike whenever it is rendered. */
  through?: string;
}

/** A run's saved conclusions in brief: what trends over many runs read, without loading each run. */
export interface ConclusionsDigest {
  maturity: MaturityLevels;
  /** Stable ids of the run's findings. */
  findingIds: string[];
}

/**
 * A unit of a run's collection (shards.ts plans them): which targets, and where it must run.
 * `spec` is the planner's, stored as JSON and handed back unchanged.
 */
export interface ShardRecord {
  id: string;
  /** The site whose scanners alone may collect it (segmented networks); null: any. */
  site: string | null;
  spec: unknown;
}

export interface ShardState extends ShardRecord {
  done: boolean;
  /** How many times the shard was claimed; the claim that finishes it is the one whose rows stay. */
  attempt: number;
  /** The collectors' tallies of the attempt that finished it. */
  tally: Record<string, unknown> | null;
}

/** One claim of a shard: what its observations are written under. */
export interface ShardAttempt {
  id: string;
  attempt: number;
}

/** The follow-up pass (AIA, CRL, OCSP fetches) writes under this shard id, so a concluding that is retried discards its first try. */
export const FOLLOW_UP_SHARD = "follow-up";

export interface Store {
  createRun(run: NewRun): Promise<RunInfo>;
  /** Stores what a run will collect (its plan, secrets left out) and its shards, all pending. */
  saveRunPlan(runId: string, plan: unknown, shards: readonly ShardRecord[]): Promise<void>;
  /** The run's stored plan and its shards in order; null for a run stored without one (before schema 6). */
  runPlan(runId: string): Promise<{ plan: unknown; shards: ShardState[] } | null>;
  /**
   * Claims a shard (any id: FOLLOW_UP_SHARD has no row of its own until claimed): discards
   * what earlier claims of it wrote and returns the new attempt. Writes under an older attempt
   * are refused from then on (StaleShardError), so a scanner presumed dead cannot add to it.
   */
  claimShard(runId: string, shardId: string): Promise<ShardAttempt>;
  /** Marks the attempt's shard done with its tally; returns how many of the run's planned shards are not done. */
  finishShard(runId: string, attempt: ShardAttempt, tally: Record<string, unknown>): Promise<number>;
  /** Resolves "latest" or a run id (a unique prefix is enough). */
  findRun(ref: string): Promise<RunInfo | null>;
  listRuns(): Promise<RunInfo[]>;
  /** Of these certificate ids, the stored ones with their parse error and parser version (so each is parsed once). */
  storedParseState(ids: readonly string[]): Promise<Map<string, { error: string | null; parserVersion: number }>>;
  /**
   * Writes one batch atomically: a crash loses at most the batch in flight. Under a shard
   * attempt, the rows are that shard's, and a stale attempt is refused (StaleShardError).
   */
  recordObservations(runId: string, batch: ObservationBatch, shard?: ShardAttempt): Promise<void>;
  /** Parsed certificates of the run, for planning the next collection pass (AIA, CDPs, OCSP). */
  certificateLeads(runId: string): Promise<CertificateLead[]>;
  /** These certificates (DER and record), e.g. to build OCSP requests. */
  certificates(ids: readonly string[]): Promise<StoredCertificate[]>;
  /** The run's directory snapshots so far. */
  snapshots(runId: string): Promise<DirectorySnapshotRow[]>;
  /** The run's observations in one read, the input of its analysis. */
  loadObservations(runId: string): Promise<RunObservations>;
  /**
   * Stores the analysis and its conclusions, replacing any earlier one. Anchor certificates the
   * run's paths end at that it did not observe (roots of the default store) join the run as
   * "anchor" sightings, so every certificate a path names is part of the run.
   */
  saveAnalysis(
    runId: string,
    analysis: RunAnalysis & { anchorCertificates: StoredCertificate[]; anchorSightings: SightingRow[] },
    conclusions: RunConclusions,
  ): Promise<void>;
  /** Marks the run finished (complete or interrupted) with its statistics; returns it as stored. */
  finishRun(runId: string, complete: boolean, stats: Record<string, unknown>): Promise<RunInfo>;
  /** A run with its analysis and conclusions, in one read, for reports. */
  loadRun(runId: string): Promise<RunContents>;
  /** The run and the earlier complete runs of its endpoints (at most `limit`, default DEFAULT_HISTORY_RUNS). */
  runHistory(runId: string, options?: { limit?: number }): Promise<RunHistory>;
  /**
   * When each of these objects was first and last seen across the complete runs: certificates (by
   * sha256) in any sighting but an "anchor" one, endpoints (by id) serving a certificate. Ids no
   * complete run saw are absent.
   */
  seenSpans(kind: "certificate" | "endpoint", ids: readonly string[], options?: SeenSpanOptions): Promise<Map<string, SeenSpan>>;
  /** Of these runs, the saved conclusions in brief (maturity levels, finding ids), for trends; runs not stored are absent. */
  conclusionDigests(runIds: readonly string[]): Promise<Map<string, ConclusionsDigest>>;
  close(): Promise<void>;
}
