// The embedded store: one SQLite file (better-sqlite3, WAL mode). Certificates are stored once,
// keyed by the SHA-256 of their DER, with their parsed record; everything else belongs to a run.
// A run row is written first with complete = 0 and flipped only when the scan ends, so a scan
// that is killed leaves earlier runs intact and itself marked incomplete.
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { StoreError } from "../errors.js";
import type { CrlObservation, OcspObservation } from "../model/revocation.js";
import type { Finding, PathResult, RunInfo } from "../model/types.js";
import type {
  EndpointRow,
  NewRun,
  ObservationBatch,
  RuleFailure,
  RunContents,
  SightingRow,
  Store,
  StoredCertificate,
} from "./store.js";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, complete INTEGER NOT NULL DEFAULT 0,
  targets TEXT NOT NULL, ports TEXT NOT NULL, options TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS certificates (
  sha256 TEXT PRIMARY KEY, der BLOB NOT NULL, record TEXT, parse_error TEXT,
  subject_name_hash TEXT, issuer_name_hash TEXT, is_ca INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS certificates_ca_subject ON certificates (subject_name_hash) WHERE is_ca = 1;
CREATE TABLE IF NOT EXISTS endpoints (
  run_id TEXT NOT NULL REFERENCES runs(id), id TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL,
  sni TEXT, status TEXT NOT NULL, error TEXT, tls_version TEXT, cipher TEXT, chain TEXT NOT NULL,
  stapled_ocsp BLOB, observed_at TEXT NOT NULL, duration_ms REAL NOT NULL,
  PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS sightings (
  run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL REFERENCES certificates(sha256),
  source TEXT NOT NULL, location TEXT NOT NULL, position INTEGER, observed_at TEXT NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS sightings_run ON sightings (run_id);
CREATE TABLE IF NOT EXISTS snapshots (
  run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, source TEXT NOT NULL, observed_at TEXT NOT NULL,
  snapshot TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revocation (
  run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS anchors (run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL, PRIMARY KEY (run_id, sha256));
CREATE TABLE IF NOT EXISTS paths (
  run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL, trusted_path TEXT, partial_path TEXT NOT NULL,
  self_signed INTEGER NOT NULL, stop_reason TEXT, PRIMARY KEY (run_id, sha256));
CREATE TABLE IF NOT EXISTS findings (
  run_id TEXT NOT NULL REFERENCES runs(id), id TEXT NOT NULL, rule_id TEXT NOT NULL, category TEXT NOT NULL,
  severity TEXT NOT NULL, message TEXT NOT NULL, certificate TEXT, endpoints TEXT NOT NULL, url TEXT,
  evidence TEXT NOT NULL, PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS rule_failures (run_id TEXT NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, error TEXT NOT NULL);
`;

interface RunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
  complete: number;
  targets: string;
  ports: string;
  options: string;
  stats: string;
}

interface CertificateRow {
  sha256: string;
  der: Buffer;
  record: string | null;
  parse_error: string | null;
  subject_name_hash: string | null;
  issuer_name_hash: string | null;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    try {
      this.db = new Database(path);
    } catch (err) {
      throw new StoreError(`cannot open store ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
    const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as
      | string
      | undefined;
    if (version === undefined) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    } else if (Number(version) > SCHEMA_VERSION) {
      throw new StoreError(`store ${path} has schema ${version}, newer than this pkiscope (${SCHEMA_VERSION})`);
    }
  }

  async createRun(run: NewRun): Promise<RunInfo> {
    const info: RunInfo = {
      id: randomUUID(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      complete: false,
      targets: run.targets,
      ports: run.ports,
      options: run.options,
      stats: {},
    };
    this.db
      .prepare("INSERT INTO runs (id, started_at, complete, targets, ports, options) VALUES (?, ?, 0, ?, ?, ?)")
      .run(info.id, info.startedAt, JSON.stringify(run.targets), JSON.stringify(run.ports), JSON.stringify(run.options));
    return info;
  }

  async findRun(ref: string): Promise<RunInfo | null> {
    if (ref === "latest") {
      const row = this.db.prepare("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").get() as
        | RunRow
        | undefined;
      return row ? toRunInfo(row) : null;
    }
    const rows = this.db.prepare("SELECT * FROM runs WHERE id LIKE ? || '%' LIMIT 2").all(ref) as RunRow[];
    if (rows.length > 1) throw new StoreError(`run id prefix "${ref}" is ambiguous`);
    return rows[0] ? toRunInfo(rows[0]) : null;
  }

  async listRuns(): Promise<RunInfo[]> {
    return (this.db.prepare("SELECT * FROM runs ORDER BY started_at, rowid").all() as RunRow[]).map(toRunInfo);
  }

  async storedParseErrors(ids: readonly string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    const query = this.db.prepare("SELECT parse_error FROM certificates WHERE sha256 = ?");
    for (const id of ids) {
      const row = query.get(id) as { parse_error: string | null } | undefined;
      if (row) found.set(id, row.parse_error);
    }
    return found;
  }

  async recordObservations(runId: string, batch: ObservationBatch): Promise<void> {
    const insertCert = this.db.prepare(
      `INSERT OR IGNORE INTO certificates (sha256, der, record, parse_error, subject_name_hash, issuer_name_hash, is_ca, first_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertEndpoint = this.db.prepare(
      `INSERT OR REPLACE INTO endpoints (run_id, id, address, port, sni, status, error, tls_version, cipher, chain, stapled_ocsp, observed_at, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertSighting = this.db.prepare(
      "INSERT INTO sightings (run_id, sha256, source, location, position, observed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertSnapshot = this.db.prepare(
      "INSERT INTO snapshots (run_id, kind, source, observed_at, snapshot) VALUES (?, ?, ?, ?, ?)",
    );
    const insertRevocation = this.db.prepare("INSERT INTO revocation (run_id, kind, data) VALUES (?, ?, ?)");
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const c of batch.crls) insertRevocation.run(runId, "crl", JSON.stringify(c));
      for (const o of batch.ocsp) insertRevocation.run(runId, "ocsp", JSON.stringify(o));
      for (const s of batch.snapshots) insertSnapshot.run(runId, s.kind, s.source, s.observedAt, JSON.stringify(s.snapshot));
      for (const c of batch.certificates) {
        insertCert.run(
          c.sha256,
          c.der,
          c.record ? JSON.stringify(c.record) : null,
          c.parseError,
          c.subjectNameHash,
          c.issuerNameHash,
          c.record?.isCA ? 1 : 0,
          now,
        );
      }
      for (const e of batch.endpoints) {
        insertEndpoint.run(
          runId, e.id, e.address, e.port, e.sni, e.status, e.error, e.tlsVersion, e.cipher,
          JSON.stringify(e.chain), e.stapledOcsp, e.observedAt, e.durationMs,
        );
      }
      for (const s of batch.sightings) {
        insertSighting.run(runId, s.sha256, s.source, s.location, s.position, s.observedAt, s.error);
      }
    })();
  }

  async caCertificatesBySubject(subjectNameHash: string): Promise<StoredCertificate[]> {
    const rows = this.db
      .prepare("SELECT * FROM certificates WHERE is_ca = 1 AND subject_name_hash = ?")
      .all(subjectNameHash) as CertificateRow[];
    return rows.map(toStoredCertificate);
  }

  async saveAnchors(runId: string, sha256s: readonly string[]): Promise<void> {
    const insert = this.db.prepare("INSERT OR IGNORE INTO anchors (run_id, sha256) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const id of sha256s) insert.run(runId, id);
    })();
  }

  async saveAnalysis(
    runId: string,
    analysis: { paths: PathResult[]; findings: Finding[]; ruleFailures: RuleFailure[] },
  ): Promise<void> {
    const insertPath = this.db.prepare(
      "INSERT OR REPLACE INTO paths (run_id, sha256, trusted_path, partial_path, self_signed, stop_reason) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const insertFinding = this.db.prepare(
      `INSERT OR REPLACE INTO findings (run_id, id, rule_id, category, severity, message, certificate, endpoints, url, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertFailure = this.db.prepare("INSERT INTO rule_failures (run_id, rule_id, error) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      // Re-analysing a run replaces its earlier analysis.
      for (const table of ["paths", "findings", "rule_failures"]) {
        this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      }
      for (const p of analysis.paths) {
        insertPath.run(
          runId, p.sha256, p.trustedPath ? JSON.stringify(p.trustedPath) : null, JSON.stringify(p.partialPath),
          p.selfSigned ? 1 : 0, p.stopReason,
        );
      }
      for (const f of analysis.findings) {
        insertFinding.run(
          runId, f.id, f.ruleId, f.category, f.severity, f.message, f.certificate, JSON.stringify(f.endpoints),
          f.url, JSON.stringify(f.evidence),
        );
      }
      for (const r of analysis.ruleFailures) insertFailure.run(runId, r.ruleId, r.error);
    })();
  }

  async finishRun(runId: string, complete: boolean, stats: Record<string, unknown>): Promise<void> {
    this.db
      .prepare("UPDATE runs SET finished_at = ?, complete = ?, stats = ? WHERE id = ?")
      .run(new Date().toISOString(), complete ? 1 : 0, JSON.stringify(stats), runId);
  }

  async loadRun(runId: string): Promise<RunContents> {
    const runRow = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRow | undefined;
    if (!runRow) throw new StoreError(`no run ${runId} in the store`);
    const endpoints = (this.db.prepare("SELECT * FROM endpoints WHERE run_id = ? ORDER BY rowid").all(runId) as {
      id: string; address: string; port: number; sni: string | null; status: EndpointRow["status"];
      error: string | null; tls_version: string | null; cipher: string | null; chain: string;
      stapled_ocsp: Buffer | null; observed_at: string; duration_ms: number;
    }[]).map((r) => ({
      id: r.id, address: r.address, port: r.port, sni: r.sni, status: r.status, error: r.error,
      tlsVersion: r.tls_version, cipher: r.cipher, chain: JSON.parse(r.chain) as string[],
      stapledOcsp: r.stapled_ocsp, observedAt: r.observed_at, durationMs: r.duration_ms,
    }));
    const sightings = (this.db.prepare("SELECT * FROM sightings WHERE run_id = ? ORDER BY rowid").all(runId) as {
      sha256: string; source: SightingRow["source"]; location: string; position: number | null;
      observed_at: string; error: string | null;
    }[]).map((r) => ({
      sha256: r.sha256, source: r.source, location: r.location, position: r.position,
      observedAt: r.observed_at, error: r.error,
    }));
    const certificates = (this.db
      .prepare(
        `SELECT c.* FROM certificates c WHERE c.sha256 IN
           (SELECT sha256 FROM sightings WHERE run_id = ? UNION SELECT sha256 FROM anchors WHERE run_id = ?)
         ORDER BY c.sha256`,
      )
      .all(runId, runId) as CertificateRow[]).map(toStoredCertificate);
    const paths = (this.db.prepare("SELECT * FROM paths WHERE run_id = ? ORDER BY sha256").all(runId) as {
      sha256: string; trusted_path: string | null; partial_path: string; self_signed: number; stop_reason: string | null;
    }[]).map((r) => ({
      sha256: r.sha256,
      trustedPath: r.trusted_path ? (JSON.parse(r.trusted_path) as string[]) : null,
      partialPath: JSON.parse(r.partial_path) as string[],
      selfSigned: r.self_signed === 1,
      stopReason: r.stop_reason,
    }));
    const snapshots = (this.db.prepare("SELECT * FROM snapshots WHERE run_id = ? ORDER BY rowid").all(runId) as {
      kind: string; source: string; observed_at: string; snapshot: string;
    }[]).map((r) => ({ kind: r.kind, source: r.source, observedAt: r.observed_at, snapshot: JSON.parse(r.snapshot) as unknown }));
    const revocation = this.db.prepare("SELECT kind, data FROM revocation WHERE run_id = ? ORDER BY rowid").all(runId) as {
      kind: string; data: string;
    }[];
    const crls = revocation.filter((r) => r.kind === "crl").map((r) => JSON.parse(r.data) as CrlObservation);
    const ocsp = revocation.filter((r) => r.kind === "ocsp").map((r) => JSON.parse(r.data) as OcspObservation);
    const anchors = this.db.prepare("SELECT sha256 FROM anchors WHERE run_id = ? ORDER BY sha256").pluck().all(runId) as string[];
    const findings = (this.db.prepare("SELECT * FROM findings WHERE run_id = ? ORDER BY rowid").all(runId) as {
      id: string; rule_id: string; category: Finding["category"]; severity: Finding["severity"]; message: string;
      certificate: string | null; endpoints: string; url: string | null; evidence: string;
    }[]).map((r) => ({
      id: r.id, ruleId: r.rule_id, category: r.category, severity: r.severity, message: r.message,
      certificate: r.certificate, endpoints: JSON.parse(r.endpoints) as string[], url: r.url,
      evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    }));
    const ruleFailures = (this.db.prepare("SELECT rule_id, error FROM rule_failures WHERE run_id = ?").all(runId) as {
      rule_id: string; error: string;
    }[]).map((r) => ({ ruleId: r.rule_id, error: r.error }));
    return { run: toRunInfo(runRow), endpoints, sightings, certificates, snapshots, crls, ocsp, paths, anchors, findings, ruleFailures };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toRunInfo(row: RunRow): RunInfo {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    complete: row.complete === 1,
    targets: JSON.parse(row.targets) as string[],
    ports: JSON.parse(row.ports) as number[],
    options: JSON.parse(row.options) as Record<string, unknown>,
    stats: JSON.parse(row.stats) as Record<string, unknown>,
  };
}

function toStoredCertificate(row: CertificateRow): StoredCertificate {
  return {
    sha256: row.sha256,
    der: row.der,
    record: row.record ? (JSON.parse(row.record) as StoredCertificate["record"]) : null,
    parseError: row.parse_error,
    subjectNameHash: row.subject_name_hash,
    issuerNameHash: row.issuer_name_hash,
  };
}
