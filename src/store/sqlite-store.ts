// The embedded store: one SQLite file (better-sqlite3, WAL mode). Certificates are stored once,
// keyed by the SHA-256 of their DER, with their parsed record; everything else belongs to a run.
// A run row is written first with complete = 0 and flipped only when the scan ends, so a scan
// that is killed leaves earlier runs intact and itself marked incomplete.
import { randomUUID } from "node:crypto";
import Database, { type Statement } from "better-sqlite3";
import { StaleShardError, StoreError, UsageError } from "../errors.js";
import type { SeenSpan } from "../model/diff.js";
import type { CrlObservation, OcspObservation, UrlFetchRecord } from "../model/revocation.js";
import type { FileRecord, PrivateKeyRecord } from "../model/keys.js";
import type { RunInfo } from "../model/types.js";
import { SCHEMA_VERSION, SHARD_TAGGED_TABLES, migrate } from "./migrations.js";
import {
  type CertificateRow,
  DIGEST_LEVEL_PATHS,
  type EndpointDbRow,
  type FindingDbRow,
  type HistoryEndpointRow,
  type HistoryRunRow,
  type LeadDbRow,
  type PathDbRow,
  type RunRow,
  type ShardDbRow,
  type SightingDbRow,
  storedConclusions,
  toCertificateLead,
  toEndpointRow,
  toFinding,
  toHistoryRun,
  toMaturityLevels,
  toPathResult,
  toRunInfo,
  toShardState,
  toSightingRow,
  toStoredCertificate,
} from "./rows.js";
import {
  type CertificateLead,
  type ConclusionsDigest,
  DEFAULT_HISTORY_RUNS,
  type DirectorySnapshotRow,
  type NewRun,
  type ObservationBatch,
  type RunAnalysis,
  type RunConclusions,
  type RunContents,
  type RunHistory,
  type RunObservations,
  type SeenSpanOptions,
  type ShardAttempt,
  type ShardRecord,
  type ShardState,
  type SightingRow,
  type Store,
  type StoredCertificate,
} from "./store.js";


export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** How many times a run was read whole (loadObservations, loadRun): one per analysis, one per re-render. */
  runReads = 0;

  constructor(path: string) {
    try {
      this.db = new Database(path);
    } catch (err) {
      throw new StoreError(`cannot open store ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("foreign_keys = ON");
    try {
      migrate(this.db);
    } catch (err) {
      if (err instanceof StoreError) throw new StoreError(`store ${path}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** The schema version of this store (after migration). */
  get schemaVersion(): number {
    return SCHEMA_VERSION;
  }

  async createRun(run: NewRun): Promise<RunInfo> {
    const info: RunInfo = {
      id: randomUUID(),
      startedAt: run.startedAt ?? new Date().toISOString(),
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

  async saveRunPlan(runId: string, plan: unknown, shards: readonly ShardRecord[]): Promise<void> {
    const insertShard = this.db.prepare("INSERT INTO run_shards (run_id, id, ordinal, site, spec, planned) VALUES (?, ?, ?, ?, ?, 1)");
    this.db.transaction(() => {
      this.db.prepare("INSERT INTO run_plans (run_id, plan) VALUES (?, ?)").run(runId, JSON.stringify(plan));
      shards.forEach((s, i) => insertShard.run(runId, s.id, i, s.site, JSON.stringify(s.spec)));
    })();
  }

  async runPlan(runId: string): Promise<{ plan: unknown; shards: ShardState[] } | null> {
    const plan = this.db.prepare("SELECT plan FROM run_plans WHERE run_id = ?").pluck().get(runId) as string | undefined;
    if (plan === undefined) return null;
    const rows = this.db.prepare("SELECT * FROM run_shards WHERE run_id = ? AND planned = 1 ORDER BY ordinal").all(runId) as ShardDbRow[];
    return { plan: JSON.parse(plan) as unknown, shards: rows.map(toShardState) };
  }

  async claimShard(runId: string, shardId: string): Promise<ShardAttempt> {
    return this.db.transaction(() => {
      const attempt = (this.db.prepare(
        `INSERT INTO run_shards (run_id, id, ordinal, spec, planned, attempt) VALUES (?, ?, -1, 'null', 0, 1)
         ON CONFLICT (run_id, id) DO UPDATE SET attempt = attempt + 1, done = 0, tally = NULL RETURNING attempt`,
      ).pluck().get(runId, shardId)) as number;
      for (const table of SHARD_TAGGED_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ? AND shard = ?`).run(runId, shardId);
      return { id: shardId, attempt };
    }).immediate();
  }

  async finishShard(runId: string, shard: ShardAttempt, tally: Record<string, unknown>): Promise<number> {
    return this.db.transaction(() => {
      this.assertCurrent(runId, shard);
      this.db.prepare("UPDATE run_shards SET done = 1, tally = ? WHERE run_id = ? AND id = ?").run(JSON.stringify(tally), runId, shard.id);
      return this.db.prepare("SELECT count(*) FROM run_shards WHERE run_id = ? AND planned = 1 AND done = 0").pluck().get(runId) as number;
    }).immediate();
  }

  private assertCurrent(runId: string, shard: ShardAttempt): void {
    const current = this.db.prepare("SELECT attempt FROM run_shards WHERE run_id = ? AND id = ?").pluck().get(runId, shard.id) as number | undefined;
    if (current !== shard.attempt) throw new StaleShardError(runId, shard.id, shard.attempt);
  }

  async findRun(ref: string): Promise<RunInfo | null> {
    if (ref === "latest") {
      const row = this.db.prepare("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").get() as
        | RunRow
        | undefined;
      return row ? toRunInfo(row) : null;
    }
    // A prefix compared as text: LIKE would read "%" and "_" in it as wildcards.
    const rows = this.db.prepare("SELECT * FROM runs WHERE substr(id, 1, length(?)) = ? LIMIT 2").all(ref, ref) as RunRow[];
    if (rows.length > 1) throw new UsageError(`run id prefix "${ref}" is ambiguous: give more of the id (pkiscope runs lists them)`);
    return rows[0] ? toRunInfo(rows[0]) : null;
  }

  async listRuns(): Promise<RunInfo[]> {
    return (this.db.prepare("SELECT * FROM runs ORDER BY started_at, rowid").all() as RunRow[]).map(toRunInfo);
  }

  async storedParseState(ids: readonly string[]): Promise<Map<string, { error: string | null; parserVersion: number }>> {
    const found = new Map<string, { error: string | null; parserVersion: number }>();
    const query = this.db.prepare("SELECT parse_error, parser_version FROM certificates WHERE sha256 = ?");
    for (const id of ids) {
      const row = query.get(id) as { parse_error: string | null; parser_version: number } | undefined;
      if (row) found.set(id, { error: row.parse_error, parserVersion: row.parser_version });
    }
    return found;
  }

  async recordObservations(runId: string, batch: ObservationBatch, shard?: ShardAttempt): Promise<void> {
    const insertCert = this.certificateUpsert();
    const insertEndpoint = this.db.prepare(
      `INSERT OR REPLACE INTO endpoints (run_id, id, address, port, sni, status, error, tls_version, cipher, chain, stapled_ocsp, observed_at, duration_ms, starttls, protocols, shard)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertSighting = this.db.prepare(
      "INSERT INTO sightings (run_id, sha256, source, location, position, observed_at, error, shard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const insertSnapshot = this.db.prepare(
      "INSERT INTO snapshots (run_id, kind, source, observed_at, snapshot, shard) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const insertFetch = this.db.prepare("INSERT INTO fetches (run_id, kind, data, shard) VALUES (?, ?, ?, ?)");
    const insertCrlBody = this.db.prepare("INSERT OR IGNORE INTO crl_bodies (sha256, der) VALUES (?, ?)");
    const insertPrivateKey = this.db.prepare("INSERT INTO private_keys (run_id, file, data, shard) VALUES (?, ?, ?, ?)");
    const insertFileRecord = this.db.prepare("INSERT INTO file_records (run_id, path, data, shard) VALUES (?, ?, ?, ?)");
    const now = new Date().toISOString();
    const tag = shard?.id ?? null;
    this.db.transaction(() => {
      if (shard) this.assertCurrent(runId, shard);
      for (const f of batch.fetches) insertFetch.run(runId, f.kind, JSON.stringify(f.fetch), tag);
      for (const b of batch.crlBodies) insertCrlBody.run(b.sha256, b.der);
      for (const k of batch.privateKeys) insertPrivateKey.run(runId, k.file, JSON.stringify(k), tag);
      for (const f of batch.fileRecords) insertFileRecord.run(runId, f.path, JSON.stringify(f), tag);
      for (const s of batch.snapshots) insertSnapshot.run(runId, s.kind, s.source, s.observedAt, JSON.stringify(s.snapshot), tag);
      for (const c of batch.certificates) insertCert(c, now);
      for (const e of batch.endpoints) {
        insertEndpoint.run(
          runId, e.id, e.address, e.port, e.sni, e.status, e.error, e.tlsVersion, e.cipher,
          JSON.stringify(e.chain), e.stapledOcsp, e.observedAt, e.durationMs,
          e.starttls ?? null, e.protocols ? JSON.stringify(e.protocols) : null, tag,
        );
      }
      for (const s of batch.sightings) {
        insertSighting.run(runId, s.sha256, s.source, s.location, s.position, s.observedAt, s.error, tag);
      }
    }).immediate();
  }

  /** Inserts a certificate, or replaces the record of one an older parser stored. */
  private certificateUpsert(): (c: StoredCertificate, firstSeen: string) => void {
    const statement = this.db.prepare(
      `INSERT INTO certificates (sha256, der, record, parse_error, subject_name_hash, issuer_name_hash, is_ca, first_seen, parser_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sha256) DO UPDATE SET record = excluded.record, parse_error = excluded.parse_error,
         subject_name_hash = excluded.subject_name_hash, issuer_name_hash = excluded.issuer_name_hash,
         is_ca = excluded.is_ca, parser_version = excluded.parser_version
       WHERE excluded.parser_version > certificates.parser_version`,
    );
    return (c, firstSeen) => {
      statement.run(
        c.sha256, c.der, c.record ? JSON.stringify(c.record) : null, c.parseError, c.subjectNameHash, c.issuerNameHash,
        c.record?.isCA ? 1 : 0, firstSeen, c.parserVersion,
      );
    };
  }

  async certificateLeads(runId: string): Promise<CertificateLead[]> {
    const rows = this.db
      .prepare(
        `SELECT c.sha256, c.subject_name_hash, c.issuer_name_hash,
           json_extract(c.record, '$.selfIssued') AS self_issued, json_extract(c.record, '$.serialNumber') AS serial,
           json_extract(c.record, '$.caIssuersUrls') AS aia, json_extract(c.record, '$.crlDistributionPoints') AS cdp,
           json_extract(c.record, '$.ocspUrls') AS ocsp, leaves.sha256 IS NOT NULL AS leaf
         FROM (SELECT DISTINCT sha256 FROM sightings WHERE run_id = ?) seen
         JOIN certificates c ON c.sha256 = seen.sha256
         LEFT JOIN (SELECT DISTINCT sha256 FROM sightings WHERE run_id = ? AND source = 'tls' AND position = 0) leaves
           ON leaves.sha256 = c.sha256
         WHERE c.record IS NOT NULL
         ORDER BY c.sha256`,
      )
      .all(runId, runId) as LeadDbRow[];
    return rows.map(toCertificateLead);
  }

  async certificates(ids: readonly string[]): Promise<StoredCertificate[]> {
    const query = this.db.prepare("SELECT * FROM certificates WHERE sha256 = ?");
    return ids.flatMap((id) => {
      const row = query.get(id) as CertificateRow | undefined;
      return row ? [toStoredCertificate(row)] : [];
    });
  }

  async snapshots(runId: string): Promise<DirectorySnapshotRow[]> {
    return this.snapshotsSync(runId);
  }

  private snapshotsSync(runId: string): DirectorySnapshotRow[] {
    return (this.db.prepare("SELECT * FROM snapshots WHERE run_id = ? ORDER BY rowid").all(runId) as {
      kind: string; source: string; observed_at: string; snapshot: string;
    }[]).map((r) => ({ kind: r.kind, source: r.source, observedAt: r.observed_at, snapshot: JSON.parse(r.snapshot) as unknown }));
  }

  async saveAnalysis(
    runId: string,
    analysis: RunAnalysis & { anchorCertificates: StoredCertificate[]; anchorSightings: SightingRow[] },
    conclusions: RunConclusions,
  ): Promise<void> {
    const insertCert = this.certificateUpsert();
    const hasSighting = this.db.prepare("SELECT 1 FROM sightings WHERE run_id = ? AND sha256 = ? AND source = ?").pluck();
    const insertSighting = this.db.prepare(
      "INSERT INTO sightings (run_id, sha256, source, location, position, observed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertAnchor = this.db.prepare("INSERT OR IGNORE INTO anchors (run_id, sha256) VALUES (?, ?)");
    const insertPath = this.db.prepare(
      "INSERT OR REPLACE INTO paths (run_id, sha256, trusted_path, partial_path, self_signed, stop_reason, validation) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertRevocation = this.db.prepare("INSERT INTO revocation (run_id, kind, data) VALUES (?, ?, ?)");
    const insertFinding = this.db.prepare(
      `INSERT OR REPLACE INTO findings (run_id, id, rule_id, category, severity, message, certificate, endpoints, url, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertFailure = this.db.prepare("INSERT INTO rule_failures (run_id, rule_id, error) VALUES (?, ?, ?)");
    const { findings, ruleFailures, ...rest } = conclusions;
    this.db.transaction(() => {
      // Analysing a run again replaces its earlier analysis.
      for (const table of ["anchors", "paths", "revocation", "findings", "rule_failures", "conclusions"]) {
        this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      }
      for (const c of analysis.anchorCertificates) insertCert(c, conclusions.analysedAt);
      for (const s of analysis.anchorSightings) {
        if (!hasSighting.get(runId, s.sha256, s.source)) {
          insertSighting.run(runId, s.sha256, s.source, s.location, s.position, s.observedAt, s.error);
        }
      }
      for (const id of analysis.anchors) insertAnchor.run(runId, id);
      for (const p of analysis.paths) {
        insertPath.run(
          runId, p.sha256, p.trustedPath ? JSON.stringify(p.trustedPath) : null, JSON.stringify(p.partialPath),
          p.selfSigned ? 1 : 0, p.stopReason, p.validation ? JSON.stringify(p.validation) : null,
        );
      }
      for (const c of analysis.crls) insertRevocation.run(runId, "crl", JSON.stringify(c));
      for (const o of analysis.ocsp) insertRevocation.run(runId, "ocsp", JSON.stringify(o));
      for (const f of findings) {
        insertFinding.run(
          runId, f.id, f.ruleId, f.category, f.severity, f.message, f.certificate, JSON.stringify(f.endpoints),
          f.url, JSON.stringify(f.evidence),
        );
      }
      for (const r of ruleFailures) insertFailure.run(runId, r.ruleId, r.error);
      this.db.prepare("INSERT INTO conclusions (run_id, data) VALUES (?, ?)").run(runId, JSON.stringify(rest));
    })();
  }

  async finishRun(runId: string, complete: boolean, stats: Record<string, unknown>): Promise<RunInfo> {
    this.db
      .prepare("UPDATE runs SET finished_at = ?, complete = ?, stats = ? WHERE id = ?")
      .run(new Date().toISOString(), complete ? 1 : 0, JSON.stringify(stats), runId);
    const row = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRow | undefined;
    if (!row) throw new StoreError(`no run ${runId} in the store`);
    return toRunInfo(row);
  }

  async loadObservations(runId: string): Promise<RunObservations> {
    this.runReads++;
    const observations = this.readObservations(runId);
    const body = this.db.prepare("SELECT der FROM crl_bodies WHERE sha256 = ?").pluck();
    const crlBodies = new Map<string, Buffer>();
    for (const f of observations.fetches) {
      if (f.kind !== "crl" || !f.fetch.crl || crlBodies.has(f.fetch.crl.sha256)) continue;
      const der = body.get(f.fetch.crl.sha256) as Buffer | undefined;
      if (der) crlBodies.set(f.fetch.crl.sha256, der);
    }
    return { ...observations, crlBodies };
  }

  async loadRun(runId: string): Promise<RunContents> {
    this.runReads++;
    const observations = this.readObservations(runId);
    const paths = (this.db.prepare("SELECT * FROM paths WHERE run_id = ? ORDER BY sha256").all(runId) as PathDbRow[]).map(toPathResult);
    const revocation = this.db.prepare("SELECT kind, data FROM revocation WHERE run_id = ? ORDER BY rowid").all(runId) as {
      kind: string; data: string;
    }[];
    const crls = revocation.filter((r) => r.kind === "crl").map((r) => JSON.parse(r.data) as CrlObservation);
    const ocsp = revocation.filter((r) => r.kind === "ocsp").map((r) => JSON.parse(r.data) as OcspObservation);
    const anchors = this.db.prepare("SELECT sha256 FROM anchors WHERE run_id = ? ORDER BY sha256").pluck().all(runId) as string[];
    const findings = (this.db.prepare("SELECT * FROM findings WHERE run_id = ? ORDER BY rowid").all(runId) as FindingDbRow[]).map(toFinding);
    const ruleFailures = (this.db.prepare("SELECT rule_id, error FROM rule_failures WHERE run_id = ?").all(runId) as {
      rule_id: string; error: string;
    }[]).map((r) => ({ ruleId: r.rule_id, error: r.error }));
    const saved = this.db.prepare("SELECT data FROM conclusions WHERE run_id = ?").pluck().get(runId) as string | undefined;
    return { ...observations, paths, anchors, crls, ocsp, findings, ruleFailures, ...storedConclusions(saved, observations.run) };
  }

  async runHistory(runId: string, { limit = DEFAULT_HISTORY_RUNS }: { limit?: number } = {}): Promise<RunHistory> {
    const row = this.db.prepare("SELECT rowid, id, started_at, finished_at FROM runs WHERE id = ?").get(runId) as
      | (HistoryRunRow & { rowid: number })
      | undefined;
    if (!row) throw new StoreError(`no run ${runId} in the store`);
    // Endpoints that served a certificate, with the leaf's validity from its stored record.
    const servedEndpoints = `SELECT e.id, e.observed_at, json_extract(e.chain, '$[0]') AS leaf,
        json_extract(c.record, '$.notBefore') AS not_before, json_extract(c.record, '$.notAfter') AS not_after
      FROM endpoints e LEFT JOIN certificates c ON c.sha256 = json_extract(e.chain, '$[0]')
      WHERE e.run_id = ? AND e.chain != '[]'`;
    const own = this.db.prepare(`${servedEndpoints} ORDER BY e.id`);
    const shared = this.db.prepare(
      `${servedEndpoints} AND e.id IN (SELECT id FROM endpoints WHERE run_id = ? AND chain != '[]') ORDER BY e.id`,
    );
    const findings = this.db.prepare("SELECT id, rule_id, endpoints FROM findings WHERE run_id = ? AND endpoints != '[]' ORDER BY id");
    const historyRun = (run: HistoryRunRow, rows: HistoryEndpointRow[]) =>
      toHistoryRun(run, rows, findings.all(run.id) as { id: string; rule_id: string; endpoints: string }[]);
    // The most recent earlier complete runs that saw one of this run's endpoints serve a certificate.
    const earlier = (this.db.prepare(
      `SELECT r.id, r.started_at, r.finished_at FROM runs r
       WHERE r.complete = 1 AND (r.started_at < ? OR (r.started_at = ? AND r.rowid < ?))
         AND EXISTS (SELECT 1 FROM endpoints e WHERE e.run_id = r.id AND e.chain != '[]'
           AND e.id IN (SELECT id FROM endpoints WHERE run_id = ? AND chain != '[]'))
       ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?`,
    ).all(row.started_at, row.started_at, row.rowid, runId, limit) as HistoryRunRow[]).reverse();
    return {
      run: historyRun(row, own.all(runId) as HistoryEndpointRow[]),
      earlier: earlier.map((r) => historyRun(r, shared.all(r.id, runId) as HistoryEndpointRow[])),
    };
  }

  async seenSpans(kind: "certificate" | "endpoint", ids: readonly string[], { through }: SeenSpanOptions = {}): Promise<Map<string, SeenSpan>> {
    let bound: unknown[] = [];
    if (through !== undefined) {
      const last = this.db.prepare("SELECT rowid, started_at FROM runs WHERE id = ?").get(through) as { rowid: number; started_at: string } | undefined;
      if (!last) throw new StoreError(`no run ${through} in the store`);
      bound = [last.started_at, last.started_at, last.rowid];
    }
    // Runs in the store's order (started_at, then rowid), as runHistory reads them.
    const runs = `JOIN runs r ON r.id = x.run_id AND r.complete = 1${bound.length > 0 ? " AND (r.started_at < ? OR (r.started_at = ? AND r.rowid <= ?))" : ""}`;
    // One grouped read for any number of ids (passed as one JSON array, not thousands of parameters).
    const query = kind === "certificate"
      ? `SELECT x.sha256 AS id, MIN(x.observed_at) AS first_seen, MAX(x.observed_at) AS last_seen
         FROM sightings x ${runs}
         WHERE x.source != 'anchor' AND x.sha256 IN (SELECT value FROM json_each(?)) GROUP BY x.sha256`
      : `SELECT x.id, MIN(x.observed_at) AS first_seen, MAX(x.observed_at) AS last_seen
         FROM endpoints x ${runs}
         WHERE x.chain != '[]' AND x.id IN (SELECT value FROM json_each(?)) GROUP BY x.id`;
    const rows = this.db.prepare(query).all(...bound, JSON.stringify(ids)) as { id: string; first_seen: string; last_seen: string }[];
    return new Map(rows.map((r) => [r.id, { firstSeen: r.first_seen, lastSeen: r.last_seen }]));
  }

  async conclusionDigests(runIds: readonly string[]): Promise<Map<string, ConclusionsDigest>> {
    // The levels only, one JSON path each, read in place: the saved score holds every criterion and its evidence.
    const paths = DIGEST_LEVEL_PATHS.map((p) => `$.${p.join(".")}`);
    const rows = this.db.prepare(
      `SELECT r.id, json_extract(c.data, ${paths.map(() => "?").join(", ")}) AS levels
       FROM runs r LEFT JOIN conclusions c ON c.run_id = r.id WHERE r.id IN (SELECT value FROM json_each(?))`,
    ).all(...paths, JSON.stringify(runIds)) as { id: string; levels: string | null }[];
    const findings = this.db.prepare("SELECT run_id, id FROM findings WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, id")
      .all(JSON.stringify(runIds)) as { run_id: string; id: string }[];
    const digests = new Map<string, ConclusionsDigest>(rows.map((r) => {
      // Runs analysed before conclusions (or maturity) were saved have no levels.
      return [r.id, { maturity: toMaturityLevels(r.levels === null ? [] : (JSON.parse(r.levels) as (number | null)[])), findingIds: [] }];
    }));
    for (const f of findings) digests.get(f.run_id)?.findingIds.push(f.id);
    return digests;
  }

  private readObservations(runId: string): Omit<RunObservations, "crlBodies"> {
    const runRow = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRow | undefined;
    if (!runRow) throw new StoreError(`no run ${runId} in the store`);
    const endpoints = (this.db.prepare("SELECT * FROM endpoints WHERE run_id = ? ORDER BY rowid").all(runId) as EndpointDbRow[]).map(toEndpointRow);
    const sightings = mapRows(this.db.prepare("SELECT * FROM sightings WHERE run_id = ? ORDER BY rowid"), [runId], toSightingRow);
    const certificates = mapRows(this.db.prepare(
      `SELECT c.* FROM certificates c WHERE c.sha256 IN
         (SELECT sha256 FROM sightings WHERE run_id = ? UNION SELECT sha256 FROM anchors WHERE run_id = ?)
       ORDER BY c.sha256`,
    ), [runId, runId], toStoredCertificate);
    const fetches = (this.db.prepare("SELECT kind, data FROM fetches WHERE run_id = ? ORDER BY rowid").all(runId) as {
      kind: UrlFetchRecord["kind"]; data: string;
    }[]).map((r) => ({ kind: r.kind, fetch: JSON.parse(r.data) }) as UrlFetchRecord);
    const rowsOf = <T>(table: "private_keys" | "file_records"): T[] =>
      (this.db.prepare(`SELECT data FROM ${table} WHERE run_id = ? ORDER BY rowid`).pluck().all(runId) as string[]).map((d) => JSON.parse(d) as T);
    return {
      run: toRunInfo(runRow), endpoints, sightings, certificates, snapshots: this.snapshotsSync(runId), fetches,
      privateKeys: rowsOf<PrivateKeyRecord>("private_keys"), fileRecords: rowsOf<FileRecord>("file_records"),
    };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * The rows of a statement, each mapped as it is read: `.all()` would hold every row (a
 * certificate's record JSON and DER) beside what it is mapped to, about 100 MiB more at the
 * peak of reading a run of 100,000 certificates.
 */
function mapRows<R, T>(statement: Statement, params: readonly unknown[], map: (row: R) => T): T[] {
  const mapped: T[] = [];
  for (const row of statement.iterate(...params) as IterableIterator<R>) mapped.push(map(row));
  return mapped;
}
