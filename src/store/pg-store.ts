// The shared store: PostgreSQL (node-postgres), for inventories many scanners write to. The same
// schema as the SQLite store (migrations.ts, one numbering), rows of the same shape, read in the
// same orders: text is ordered byte-wise (COLLATE "C", as SQLite does, whatever the database's
// locale), and the insertion order SQLite keeps in its rowid is an explicit rowid column here.
// JSON is stored as TEXT, as SQLite holds it, and read with json operators where a query looks
// inside it (json, not jsonb: jsonb refuses the \u0000 a hostile certificate may carry).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { StaleShardError, StoreError, StoreUnreachableError, UsageError } from "../errors.js";
import type { SeenSpan } from "../model/diff.js";
import type { CrlObservation, OcspObservation, UrlFetchRecord } from "../model/revocation.js";
import type { FileRecord, PrivateKeyRecord } from "../model/keys.js";
import type { RunInfo } from "../model/types.js";
import { SHARD_TAGGED_TABLES, migratePostgres } from "./migrations.js";
import { isConnectionLoss, isStartingUp, RETRY_DELAYS_MS, retryingConnectionLoss } from "./pg-retry.js";
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

/** Connections a store holds at most: a scan writes one batch at a time and reads little. */
const POOL_SIZE = 4;
/** How long to wait for a connection before the store reports the database unreachable. */
const CONNECT_TIMEOUT_MS = 15_000;

/** A query on one connection or the pool: rows, with every parameter made storable. */
type Query = <R>(text: string, params?: readonly unknown[]) => Promise<R[]>;

/**
 * PostgreSQL's text cannot hold U+0000, which hostile input (a server's words, a name) may
 * contain; SQLite stores it. It becomes U+FFFD here, so a write never fails on it.
 */
function storable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(storable);
  return typeof value === "string" && value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;
}

const ignoreClientError = (): void => {};

function queryOn(db: pg.Pool | pg.PoolClient): Query {
  return async <R>(text: string, params: readonly unknown[] = []) =>
    (await db.query(text, params.map(storable))).rows as R[];
}

export class PgStore implements Store {
  private readonly query: Query;

  private constructor(private readonly pool: pg.Pool, private readonly shown: string) {
    const query = queryOn(pool);
    // A statement on its own commits on its own: after a lost connection it is sent again (the
    // writes among them, createRun and finishRun, give the same row sent twice).
    this.query = <R>(text: string, params?: readonly unknown[]) => retryingConnectionLoss(shown, () => query<R>(text, params));
  }

  /**
   * Connects to `url` (postgres:// or postgresql://) and migrates the database. `shown` names it
   * in errors: the URL without its password.
   */
  static async open(url: string, shown: string): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle connection the server drops emits 'error' on the pool; unheard, it would end the
    // process. The next query fails on its own and reports it.
    pool.on("error", () => {});
    try {
      // A database still starting (or recovering after a restart) is waited for; one that refuses
      // the connection is reported at once: more often a wrong URL than a restart.
      await retryingConnectionLoss(shown, async () => {
        const client = await pool.connect();
        try {
          await migratePostgres(client);
        } finally {
          client.release();
        }
      }, RETRY_DELAYS_MS, isStartingUp);
    } catch (err) {
      await pool.end();
      // The retry's own error names the store already; the migrations' and the driver's do not.
      if (err instanceof StoreUnreachableError) throw err;
      throw new StoreError(`store ${shown}: ${(err as Error).message}`, { cause: err });
    }
    return new PgStore(pool, shown);
  }

  /**
   * Runs `work` in one transaction on one connection (read-only ones see one snapshot). A lost
   * connection rolls the transaction back, so it is run again whole; when the connection was lost
   * in COMMIT, the transaction's id tells whether it committed, so a batch is never applied twice.
   */
  private async transaction<T>(work: (query: Query) => Promise<T>, mode: "write" | "read" = "write"): Promise<T> {
    let unsure: { txid: string; result: T } | null = null;
    return retryingConnectionLoss(this.shown, async () => {
      if (unsure) {
        const [row] = await queryOn(this.pool)<{ status: string | null }>("SELECT txid_status($1) AS status", [unsure.txid]);
        if (row?.status === "committed") return unsure.result;
        unsure = null;
      }
      const client = await this.pool.connect();
      // A checked-out connection that drops also emits 'error', which unheard would end the
      // process; the query in flight fails with it, and that is handled below.
      client.on("error", ignoreClientError);
      let lost: Error | undefined;
      try {
        await client.query(mode === "write" ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const txid = mode === "write" ? (await client.query<{ txid: string }>("SELECT txid_current()::text AS txid")).rows[0]!.txid : null;
        const result = await work(queryOn(client));
        try {
          await client.query("COMMIT");
        } catch (err) {
          if (txid !== null) unsure = { txid, result };
          throw err;
        }
        return result;
      } catch (err) {
        if (isConnectionLoss(err)) lost = err as Error;
        else await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.off("error", ignoreClientError);
        // A lost connection is dropped, not handed back to the pool.
        client.release(lost);
      }
    });
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
    await this.query(
      "INSERT INTO runs (id, started_at, complete, targets, ports, options) VALUES ($1, $2, 0, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
      [info.id, info.startedAt, JSON.stringify(run.targets), JSON.stringify(run.ports), JSON.stringify(run.options)],
    );
    return info;
  }

  async saveRunPlan(runId: string, plan: unknown, shards: readonly ShardRecord[]): Promise<void> {
    await this.transaction(async (query) => {
      await query("INSERT INTO run_plans (run_id, plan) VALUES ($1, $2)", [runId, JSON.stringify(plan)]);
      await insertRows(query, "run_shards", SHARD_COLUMNS, shards.map((s, i) => [runId, s.id, i, s.site, JSON.stringify(s.spec), 1]));
    });
  }

  async runPlan(runId: string): Promise<{ plan: unknown; shards: ShardState[] } | null> {
    const [plan] = await this.query<{ plan: string }>("SELECT plan FROM run_plans WHERE run_id = $1", [runId]);
    if (!plan) return null;
    const rows = await this.query<ShardDbRow>("SELECT * FROM run_shards WHERE run_id = $1 AND planned = 1 ORDER BY ordinal", [runId]);
    return { plan: JSON.parse(plan.plan) as unknown, shards: rows.map(toShardState) };
  }

  async claimShard(runId: string, shardId: string): Promise<ShardAttempt> {
    return this.transaction(async (query) => {
      // The row lock the upsert takes orders concurrent claims of one shard: each sees the other's attempt.
      const [row] = await query<{ attempt: number }>(
        `INSERT INTO run_shards (run_id, id, ordinal, spec, planned, attempt) VALUES ($1, $2, -1, 'null', 0, 1)
         ON CONFLICT (run_id, id) DO UPDATE SET attempt = run_shards.attempt + 1, done = 0, tally = NULL RETURNING attempt`,
        [runId, shardId],
      );
      for (const table of SHARD_TAGGED_TABLES) await query(`DELETE FROM ${table} WHERE run_id = $1 AND shard = $2`, [runId, shardId]);
      return { id: shardId, attempt: row!.attempt };
    });
  }

  async finishShard(runId: string, shard: ShardAttempt, tally: Record<string, unknown>): Promise<number> {
    return this.transaction(async (query) => {
      await assertCurrent(query, runId, shard);
      await query("UPDATE run_shards SET done = 1, tally = $1 WHERE run_id = $2 AND id = $3", [JSON.stringify(tally), runId, shard.id]);
      const [pending] = await query<{ n: number }>("SELECT count(*)::int AS n FROM run_shards WHERE run_id = $1 AND planned = 1 AND done = 0", [runId]);
      return pending!.n;
    });
  }

  async findRun(ref: string): Promise<RunInfo | null> {
    if (ref === "latest") {
      const [row] = await this.query<RunRow>('SELECT * FROM runs ORDER BY started_at COLLATE "C" DESC, rowid DESC LIMIT 1');
      return row ? toRunInfo(row) : null;
    }
    // A prefix compared as text: LIKE would read "%" and "_" in it as wildcards.
    const rows = await this.query<RunRow>("SELECT * FROM runs WHERE left(id, length($1::text)) = $1::text LIMIT 2", [ref]);
    if (rows.length > 1) throw new UsageError(`run id prefix "${ref}" is ambiguous: give more of the id (pkiscope runs lists them)`);
    return rows[0] ? toRunInfo(rows[0]) : null;
  }

  async listRuns(): Promise<RunInfo[]> {
    return (await this.query<RunRow>('SELECT * FROM runs ORDER BY started_at COLLATE "C", rowid')).map(toRunInfo);
  }

  async storedParseState(ids: readonly string[]): Promise<Map<string, { error: string | null; parserVersion: number }>> {
    const rows = await this.query<{ sha256: string; parse_error: string | null; parser_version: number }>(
      "SELECT sha256, parse_error, parser_version FROM certificates WHERE sha256 = ANY($1::text[])", [ids],
    );
    return new Map(rows.map((r) => [r.sha256, { error: r.parse_error, parserVersion: r.parser_version }]));
  }

  async recordObservations(runId: string, batch: ObservationBatch, shard?: ShardAttempt): Promise<void> {
    const now = new Date().toISOString();
    const tag = shard?.id ?? null;
    await this.transaction(async (query) => {
      if (shard) await assertCurrent(query, runId, shard);
      await insertRows(query, "fetches", RUN_DATA("kind"), batch.fetches.map((f) => [runId, f.kind, JSON.stringify(f.fetch), tag]));
      await insertRows(query, "crl_bodies", [["sha256", "text"], ["der", "bytea"]], batch.crlBodies.map((b) => [b.sha256, b.der]), {
        onConflict: "ON CONFLICT DO NOTHING",
      });
      await insertRows(query, "private_keys", RUN_DATA("file"), batch.privateKeys.map((k) => [runId, k.file, JSON.stringify(k), tag]));
      await insertRows(query, "file_records", RUN_DATA("path"), batch.fileRecords.map((f) => [runId, f.path, JSON.stringify(f), tag]));
      await insertRows(query, "snapshots", SNAPSHOT_COLUMNS, batch.snapshots.map((s) => [runId, s.kind, s.source, s.observedAt, JSON.stringify(s.snapshot), tag]));
      await upsertCertificates(query, batch.certificates, now);
      // As SQLite's INSERT OR REPLACE: an endpoint recorded again replaces the row and moves to the end.
      await insertRows(query, "endpoints", ENDPOINT_COLUMNS, lastOfEach(batch.endpoints, (e) => e.id).map((e) => [
        runId, e.id, e.address, e.port, e.sni, e.status, e.error, e.tlsVersion, e.cipher,
        JSON.stringify(e.chain), e.stapledOcsp, e.observedAt, e.durationMs,
        e.starttls ?? null, e.protocols ? JSON.stringify(e.protocols) : null, tag,
      ]), { onConflict: `ON CONFLICT (run_id, id) DO UPDATE SET rowid = DEFAULT, ${replaceAll(ENDPOINT_COLUMNS.slice(2))}` });
      await insertSightings(query, runId, batch.sightings, tag);
    });
  }

  async certificateLeads(runId: string): Promise<CertificateLead[]> {
    const rows = await this.query<LeadDbRow>(
      `SELECT c.sha256, c.subject_name_hash, c.issuer_name_hash,
         ((j.r ->> 'selfIssued') = 'true')::int AS self_issued, j.r ->> 'serialNumber' AS serial,
         (j.r -> 'caIssuersUrls')::text AS aia, (j.r -> 'crlDistributionPoints')::text AS cdp,
         (j.r -> 'ocspUrls')::text AS ocsp, (leaves.sha256 IS NOT NULL)::int AS leaf
       FROM (SELECT DISTINCT sha256 FROM sightings WHERE run_id = $1) seen
       JOIN certificates c ON c.sha256 = seen.sha256
       CROSS JOIN LATERAL (SELECT c.record::json AS r) j
       LEFT JOIN (SELECT DISTINCT sha256 FROM sightings WHERE run_id = $1 AND source = 'tls' AND position = 0) leaves
         ON leaves.sha256 = c.sha256
       WHERE c.record IS NOT NULL
       ORDER BY c.sha256 COLLATE "C"`,
      [runId],
    );
    return rows.map(toCertificateLead);
  }

  async certificates(ids: readonly string[]): Promise<StoredCertificate[]> {
    const rows = await this.query<CertificateRow>("SELECT * FROM certificates WHERE sha256 = ANY($1::text[])", [ids]);
    const byId = new Map(rows.map((r) => [r.sha256, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toStoredCertificate(row)] : [];
    });
  }

  async snapshots(runId: string): Promise<DirectorySnapshotRow[]> {
    return readSnapshots(this.query, runId);
  }

  async saveAnalysis(
    runId: string,
    analysis: RunAnalysis & { anchorCertificates: StoredCertificate[]; anchorSightings: SightingRow[] },
    conclusions: RunConclusions,
  ): Promise<void> {
    const { findings, ruleFailures, ...rest } = conclusions;
    await this.transaction(async (query) => {
      // Analysing a run again replaces its earlier analysis.
      for (const table of ["anchors", "paths", "revocation", "findings", "rule_failures", "conclusions"]) {
        await query(`DELETE FROM ${table} WHERE run_id = $1`, [runId]);
      }
      await upsertCertificates(query, analysis.anchorCertificates, conclusions.analysedAt);
      // Each anchor once per source, and not where the run already saw it so.
      const anchorSightings = [...new Map(analysis.anchorSightings.map((s) => [`${s.sha256} ${s.source}`, s])).values()];
      const seen = new Set((await query<{ sha256: string; source: string }>(
        "SELECT sha256, source FROM sightings WHERE run_id = $1 AND sha256 = ANY($2::text[])", [runId, anchorSightings.map((s) => s.sha256)],
      )).map((r) => `${r.sha256} ${r.source}`));
      await insertSightings(query, runId, anchorSightings.filter((s) => !seen.has(`${s.sha256} ${s.source}`)));
      await insertRows(query, "anchors", [["run_id", "text"], ["sha256", "text"]], analysis.anchors.map((id) => [runId, id]), {
        onConflict: "ON CONFLICT DO NOTHING",
      });
      // The run's earlier paths and findings are deleted above: only repeats within this analysis replace (the last one wins, as SQLite's INSERT OR REPLACE).
      await insertRows(query, "paths", PATH_COLUMNS, lastOfEach(analysis.paths, (p) => p.sha256).map((p) => [
        runId, p.sha256, p.trustedPath ? JSON.stringify(p.trustedPath) : null, JSON.stringify(p.partialPath),
        p.selfSigned ? 1 : 0, p.stopReason, p.validation ? JSON.stringify(p.validation) : null,
      ]));
      // Analysis, not observation: the revocation table has no shard column.
      await insertRows(query, "revocation", [["run_id", "text"], ["kind", "text"], ["data", "text"]], [
        ...analysis.crls.map((c) => [runId, "crl", JSON.stringify(c)]),
        ...analysis.ocsp.map((o) => [runId, "ocsp", JSON.stringify(o)]),
      ]);
      await insertRows(query, "findings", FINDING_COLUMNS, lastOfEach(findings, (f) => f.id).map((f) => [
        runId, f.id, f.ruleId, f.category, f.severity, f.message, f.certificate, JSON.stringify(f.endpoints), f.url, JSON.stringify(f.evidence),
      ]));
      await insertRows(query, "rule_failures", [["run_id", "text"], ["rule_id", "text"], ["error", "text"]], ruleFailures.map((r) => [runId, r.ruleId, r.error]));
      await query("INSERT INTO conclusions (run_id, data) VALUES ($1, $2)", [runId, JSON.stringify(rest)]);
    });
  }

  async finishRun(runId: string, complete: boolean, stats: Record<string, unknown>): Promise<RunInfo> {
    const [row] = await this.query<RunRow>(
      "UPDATE runs SET finished_at = $1, complete = $2, stats = $3 WHERE id = $4 RETURNING *",
      [new Date().toISOString(), complete ? 1 : 0, JSON.stringify(stats), runId],
    );
    if (!row) throw new StoreError(`no run ${runId} in the store`);
    return toRunInfo(row);
  }

  async loadObservations(runId: string): Promise<RunObservations> {
    return this.transaction(async (query) => {
      const observations = await readObservations(query, runId);
      const wanted = [...new Set(observations.fetches.flatMap((f) => (f.kind === "crl" && f.fetch.crl ? [f.fetch.crl.sha256] : [])))];
      const bodies = await query<{ sha256: string; der: Buffer }>("SELECT sha256, der FROM crl_bodies WHERE sha256 = ANY($1::text[])", [wanted]);
      const found = new Map(bodies.map((b) => [b.sha256, b.der]));
      // In the order the fetches name them, as the SQLite store fills the map.
      const crlBodies = new Map(wanted.flatMap((id) => (found.has(id) ? [[id, found.get(id)!] as const] : [])));
      return { ...observations, crlBodies };
    }, "read");
  }

  async loadRun(runId: string): Promise<RunContents> {
    return this.transaction(async (query) => {
      const observations = await readObservations(query, runId);
      const paths = (await query<PathDbRow>('SELECT * FROM paths WHERE run_id = $1 ORDER BY sha256 COLLATE "C"', [runId])).map(toPathResult);
      const revocation = await query<{ kind: string; data: string }>("SELECT kind, data FROM revocation WHERE run_id = $1 ORDER BY rowid", [runId]);
      const crls = revocation.filter((r) => r.kind === "crl").map((r) => JSON.parse(r.data) as CrlObservation);
      const ocsp = revocation.filter((r) => r.kind === "ocsp").map((r) => JSON.parse(r.data) as OcspObservation);
      const anchors = (await query<{ sha256: string }>('SELECT sha256 FROM anchors WHERE run_id = $1 ORDER BY sha256 COLLATE "C"', [runId])).map((r) => r.sha256);
      const findings = (await query<FindingDbRow>("SELECT * FROM findings WHERE run_id = $1 ORDER BY rowid", [runId])).map(toFinding);
      const ruleFailures = (await query<{ rule_id: string; error: string }>("SELECT rule_id, error FROM rule_failures WHERE run_id = $1", [runId]))
        .map((r) => ({ ruleId: r.rule_id, error: r.error }));
      const [saved] = await query<{ data: string }>("SELECT data FROM conclusions WHERE run_id = $1", [runId]);
      return { ...observations, paths, anchors, crls, ocsp, findings, ruleFailures, ...storedConclusions(saved?.data, observations.run) };
    }, "read");
  }

  async runHistory(runId: string, { limit = DEFAULT_HISTORY_RUNS }: { limit?: number } = {}): Promise<RunHistory> {
    return this.transaction(async (query) => {
      const [row] = await query<HistoryRunRow & { rowid: string }>("SELECT rowid, id, started_at, finished_at FROM runs WHERE id = $1", [runId]);
      if (!row) throw new StoreError(`no run ${runId} in the store`);
      // Endpoints that served a certificate, with the leaf's validity from its stored record.
      const servedEndpoints = `SELECT e.id, e.observed_at, e.chain::json ->> 0 AS leaf,
          c.record::json ->> 'notBefore' AS not_before, c.record::json ->> 'notAfter' AS not_after
        FROM endpoints e LEFT JOIN certificates c ON c.sha256 = e.chain::json ->> 0
        WHERE e.run_id = $1 AND e.chain != '[]'`;
      const historyRun = async (run: HistoryRunRow, endpoints: HistoryEndpointRow[]) =>
        toHistoryRun(run, endpoints, await query<{ id: string; rule_id: string; endpoints: string }>(
          `SELECT id, rule_id, endpoints FROM findings WHERE run_id = $1 AND endpoints != '[]' ORDER BY id COLLATE "C"`, [run.id],
        ));
      // The most recent earlier complete runs that saw one of this run's endpoints serve a certificate.
      const earlier = (await query<HistoryRunRow>(
        `SELECT r.id, r.started_at, r.finished_at FROM runs r
         WHERE r.complete = 1 AND (r.started_at COLLATE "C" < $1 OR (r.started_at = $1 AND r.rowid < $2))
           AND EXISTS (SELECT 1 FROM endpoints e WHERE e.run_id = r.id AND e.chain != '[]'
             AND e.id IN (SELECT id FROM endpoints WHERE run_id = $3 AND chain != '[]'))
         ORDER BY r.started_at COLLATE "C" DESC, r.rowid DESC LIMIT $4`,
        [row.started_at, row.rowid, runId, limit],
      )).reverse();
      const own = await historyRun(row, await query<HistoryEndpointRow>(`${servedEndpoints} ORDER BY e.id COLLATE "C"`, [runId]));
      const shared: RunHistory["earlier"][number][] = [];
      for (const r of earlier) {
        shared.push(await historyRun(r, await query<HistoryEndpointRow>(
          `${servedEndpoints} AND e.id IN (SELECT id FROM endpoints WHERE run_id = $2 AND chain != '[]') ORDER BY e.id COLLATE "C"`, [r.id, runId],
        )));
      }
      return { run: own, earlier: shared };
    }, "read");
  }

  async seenSpans(kind: "certificate" | "endpoint", ids: readonly string[], { through }: SeenSpanOptions = {}): Promise<Map<string, SeenSpan>> {
    let bound: unknown[] = [];
    if (through !== undefined) {
      const [last] = await this.query<{ rowid: string; started_at: string }>("SELECT rowid, started_at FROM runs WHERE id = $1", [through]);
      if (!last) throw new StoreError(`no run ${through} in the store`);
      bound = [last.started_at, last.rowid];
    }
    // Runs in the store's order (started_at, then rowid), as runHistory reads them.
    const runs = `JOIN runs r ON r.id = x.run_id AND r.complete = 1${bound.length > 0 ? ' AND (r.started_at COLLATE "C" < $2 OR (r.started_at = $2 AND r.rowid <= $3))' : ""}`;
    const span = 'MIN(x.observed_at COLLATE "C") AS first_seen, MAX(x.observed_at COLLATE "C") AS last_seen';
    const text = kind === "certificate"
      ? `SELECT x.sha256 AS id, ${span} FROM sightings x ${runs}
         WHERE x.source != 'anchor' AND x.sha256 = ANY($1::text[]) GROUP BY x.sha256`
      : `SELECT x.id, ${span} FROM endpoints x ${runs}
         WHERE x.chain != '[]' AND x.id = ANY($1::text[]) GROUP BY x.id`;
    const rows = await this.query<{ id: string; first_seen: string; last_seen: string }>(text, [ids, ...bound]);
    return new Map(rows.map((r) => [r.id, { firstSeen: r.first_seen, lastSeen: r.last_seen }]));
  }

  async conclusionDigests(runIds: readonly string[]): Promise<Map<string, ConclusionsDigest>> {
    // The levels only, one JSON path each, read in place: the saved score holds every criterion and its evidence.
    const levels = DIGEST_LEVEL_PATHS.map((_, i) => `j.d #> $${i + 2}::text[]`).join(", ");
    const rows = await this.query<{ id: string; levels: (number | null)[] }>(
      `SELECT r.id, json_build_array(${levels}) AS levels
       FROM runs r LEFT JOIN conclusions c ON c.run_id = r.id CROSS JOIN LATERAL (SELECT c.data::json AS d) j
       WHERE r.id = ANY($1::text[])`,
      [runIds, ...DIGEST_LEVEL_PATHS],
    );
    const findings = await this.query<{ run_id: string; id: string }>(
      'SELECT run_id, id FROM findings WHERE run_id = ANY($1::text[]) ORDER BY run_id COLLATE "C", id COLLATE "C"', [runIds],
    );
    const digests = new Map<string, ConclusionsDigest>(rows.map((r) => [r.id, { maturity: toMaturityLevels(r.levels), findingIds: [] }]));
    for (const f of findings) digests.get(f.run_id)?.findingIds.push(f.id);
    return digests;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A column and its PostgreSQL type, for rows sent as one array per column. */
type Column = readonly [name: string, type: string];

/** The shard an observation was collected under (migration 6). */
const SHARD: Column = ["shard", "text"];
const RUN_DATA = (key: string): Column[] => [["run_id", "text"], [key, "text"], ["data", "text"], SHARD];
const SNAPSHOT_COLUMNS: Column[] = [["run_id", "text"], ["kind", "text"], ["source", "text"], ["observed_at", "text"], ["snapshot", "text"], SHARD];
const SHARD_COLUMNS: Column[] = [["run_id", "text"], ["id", "text"], ["ordinal", "int"], ["site", "text"], ["spec", "text"], ["planned", "int"]];
const ENDPOINT_COLUMNS: Column[] = [
  ["run_id", "text"], ["id", "text"], ["address", "text"], ["port", "int"], ["sni", "text"], ["status", "text"], ["error", "text"],
  ["tls_version", "text"], ["cipher", "text"], ["chain", "text"], ["stapled_ocsp", "bytea"], ["observed_at", "text"],
  ["duration_ms", "float8"], ["starttls", "text"], ["protocols", "text"], SHARD,
];
const SIGHTING_COLUMNS: Column[] = [
  ["run_id", "text"], ["sha256", "text"], ["source", "text"], ["location", "text"], ["position", "int"], ["observed_at", "text"], ["error", "text"], SHARD,
];
const CERTIFICATE_COLUMNS: Column[] = [
  ["sha256", "text"], ["der", "bytea"], ["record", "text"], ["parse_error", "text"], ["subject_name_hash", "text"],
  ["issuer_name_hash", "text"], ["is_ca", "int"], ["first_seen", "text"], ["parser_version", "int"],
];
const PATH_COLUMNS: Column[] = [
  ["run_id", "text"], ["sha256", "text"], ["trusted_path", "text"], ["partial_path", "text"], ["self_signed", "int"],
  ["stop_reason", "text"], ["validation", "text"],
];
const FINDING_COLUMNS: Column[] = [
  ["run_id", "text"], ["id", "text"], ["rule_id", "text"], ["category", "text"], ["severity", "text"], ["message", "text"],
  ["certificate", "text"], ["endpoints", "text"], ["url", "text"], ["evidence", "text"],
];

const replaceAll = (columns: readonly Column[]): string => columns.map(([name]) => `${name} = excluded.${name}`).join(", ");

/**
 * Inserts rows in one statement, whatever their number: each column is sent as one array and
 * unnested, in the rows' order (so rowid keeps it). A round trip per row would make a batch of
 * thousands take seconds.
 */
async function insertRows(
  query: Query, table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], { onConflict = "" }: { onConflict?: string } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([name]) => name).join(", ");
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  await query(
    `INSERT INTO ${table} (${names}) SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS t(${names}, row_order) ORDER BY row_order ${onConflict}`,
    columns.map((_, i) => rows.map((r) => r[i])),
  );
}

/** The last of the items with each key, in the order of those last ones: what replacing row by row leaves. */
function lastOfEach<T>(items: readonly T[], key: (item: T) => string): T[] {
  const last = new Map<string, T>();
  for (const item of items) {
    last.delete(key(item));
    last.set(key(item), item);
  }
  return [...last.values()];
}

/**
 * Inserts certificates, or replaces the record of ones an older parser stored. Of several with
 * one sha256, the first of the newest parser's wins, as inserting them one by one would leave.
 */
async function upsertCertificates(query: Query, certificates: readonly StoredCertificate[], firstSeen: string): Promise<void> {
  const newest = new Map<string, StoredCertificate>();
  for (const c of certificates) {
    const kept = newest.get(c.sha256);
    if (!kept || c.parserVersion > kept.parserVersion) newest.set(c.sha256, c);
  }
  await insertRows(query, "certificates", CERTIFICATE_COLUMNS, [...newest.values()].map((c) => [
    c.sha256, c.der, c.record ? JSON.stringify(c.record) : null, c.parseError, c.subjectNameHash, c.issuerNameHash,
    c.record?.isCA ? 1 : 0, firstSeen, c.parserVersion,
  ]), {
    onConflict: `ON CONFLICT (sha256) DO UPDATE SET ${replaceAll(CERTIFICATE_COLUMNS.filter(([name]) => !["sha256", "der", "first_seen"].includes(name)))}
      WHERE excluded.parser_version > certificates.parser_version`,
  });
}

async function insertSightings(query: Query, runId: string, sightings: readonly SightingRow[], shard: string | null = null): Promise<void> {
  await insertRows(query, "sightings", SIGHTING_COLUMNS, sightings.map((s) => [runId, s.sha256, s.source, s.location, s.position, s.observedAt, s.error, shard]));
}

/** Throws StaleShardError unless `shard` is its shard's latest claim; the row lock holds off a new claim until the transaction ends. */
async function assertCurrent(query: Query, runId: string, shard: ShardAttempt): Promise<void> {
  const [row] = await query<{ attempt: number }>("SELECT attempt FROM run_shards WHERE run_id = $1 AND id = $2 FOR SHARE", [runId, shard.id]);
  if (row?.attempt !== shard.attempt) throw new StaleShardError(runId, shard.id, shard.attempt);
}

async function readSnapshots(query: Query, runId: string): Promise<DirectorySnapshotRow[]> {
  return (await query<{ kind: string; source: string; observed_at: string; snapshot: string }>(
    "SELECT kind, source, observed_at, snapshot FROM snapshots WHERE run_id = $1 ORDER BY rowid", [runId],
  )).map((r) => ({ kind: r.kind, source: r.source, observedAt: r.observed_at, snapshot: JSON.parse(r.snapshot) as unknown }));
}

async function readObservations(query: Query, runId: string): Promise<Omit<RunObservations, "crlBodies">> {
  const [runRow] = await query<RunRow>("SELECT * FROM runs WHERE id = $1", [runId]);
  if (!runRow) throw new StoreError(`no run ${runId} in the store`);
  const endpoints = (await query<EndpointDbRow>("SELECT * FROM endpoints WHERE run_id = $1 ORDER BY rowid", [runId])).map(toEndpointRow);
  const sightings = (await query<SightingDbRow>("SELECT * FROM sightings WHERE run_id = $1 ORDER BY rowid", [runId])).map(toSightingRow);
  const certificates = (await query<CertificateRow>(
    `SELECT c.* FROM certificates c WHERE c.sha256 IN
       (SELECT sha256 FROM sightings WHERE run_id = $1 UNION SELECT sha256 FROM anchors WHERE run_id = $1)
     ORDER BY c.sha256 COLLATE "C"`,
    [runId],
  )).map(toStoredCertificate);
  const fetches = (await query<{ kind: UrlFetchRecord["kind"]; data: string }>("SELECT kind, data FROM fetches WHERE run_id = $1 ORDER BY rowid", [runId]))
    .map((r) => ({ kind: r.kind, fetch: JSON.parse(r.data) }) as UrlFetchRecord);
  const rowsOf = async <T>(table: "private_keys" | "file_records"): Promise<T[]> =>
    (await query<{ data: string }>(`SELECT data FROM ${table} WHERE run_id = $1 ORDER BY rowid`, [runId])).map((r) => JSON.parse(r.data) as T);
  return {
    run: toRunInfo(runRow), endpoints, sightings, certificates, snapshots: await readSnapshots(query, runId), fetches,
    privateKeys: await rowsOf<PrivateKeyRecord>("private_keys"), fileRecords: await rowsOf<FileRecord>("file_records"),
  };
}
