// The store's contract. Every method is async so a PostgreSQL store (for /8 address plans and
// many workers) can implement the same interface; the embedded SQLite store answers at once.
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
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
  crls: CrlObservation[];
  ocsp: OcspObservation[];
}

export interface RuleFailure {
  ruleId: string;
  error: string;
}

export interface RunContents {
  run: RunInfo;
  endpoints: EndpointRow[];
  sightings: SightingRow[];
  certificates: StoredCertificate[];
  snapshots: DirectorySnapshotRow[];
  crls: CrlObservation[];
  ocsp: OcspObservation[];
  paths: PathResult[];
  /** sha256 of the trust anchors sanctioned for this run. */
  anchors: string[];
  findings: Finding[];
  ruleFailures: RuleFailure[];
}

export interface NewRun {
  targets: string[];
  ports: number[];
  options: Record<string, unknown>;
}

export interface Store {
  createRun(run: NewRun): Promise<RunInfo>;
  /** Resolves "latest" or a run id (a unique prefix is enough). */
  findRun(ref: string): Promise<RunInfo | null>;
  listRuns(): Promise<RunInfo[]>;
  /** Of these certificate ids, the stored ones with their parse error (so each is parsed once). */
  storedParseErrors(ids: readonly string[]): Promise<Map<string, string | null>>;
  /** Writes one batch atomically: a crash loses at most the batch in flight. */
  recordObservations(runId: string, batch: ObservationBatch): Promise<void>;
  /** Stored CA certificates whose subject name hashes to this value (issuer candidates). */
  caCertificatesBySubject(subjectNameHash: string): Promise<StoredCertificate[]>;
  saveAnchors(runId: string, sha256s: readonly string[]): Promise<void>;
  saveAnalysis(runId: string, analysis: { paths: PathResult[]; findings: Finding[]; ruleFailures: RuleFailure[] }): Promise<void>;
  finishRun(runId: string, complete: boolean, stats: Record<string, unknown>): Promise<void>;
  loadRun(runId: string): Promise<RunContents>;
  close(): Promise<void>;
}
