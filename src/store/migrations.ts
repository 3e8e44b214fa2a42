// Schema versions of the stores and the steps between them, one numbering for SQLite and
// PostgreSQL. A store records its version in meta.schema_version; opening it applies every later
// step in order, in a transaction, so a store written by any earlier pkiscope opens in this one
// (and a newer store is refused). Each step is written once for both dialects: only the column
// types that differ are filled in per dialect, so both stores hold rows of the same shape.
import type Database from "better-sqlite3";
import type pg from "pg";
import { StoreError } from "../errors.js";

/** What a step's SQL says differently per dialect. */
interface DialectTypes {
  blob: string;
  /** duration_ms: PostgreSQL's REAL is single precision. */
  real: string;
  /**
   * The tables read in insertion order: SQLite has its implicit rowid; PostgreSQL gets an
   * explicit column of that name, so both order by `rowid`.
   */
  rowid: string;
}

const DIALECTS = {
  sqlite: { blob: "BLOB", real: "REAL", rowid: "" },
  postgres: { blob: "BYTEA", real: "DOUBLE PRECISION", rowid: "rowid BIGSERIAL NOT NULL, " },
} as const satisfies Record<string, DialectTypes>;

/** The first schema, as stores before migrations were written it; later versions migrate from it. */
const schemaV1 = ({ blob, real, rowid }: DialectTypes): string => `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  ${rowid}id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, complete INTEGER NOT NULL DEFAULT 0,
  targets TEXT NOT NULL, ports TEXT NOT NULL, options TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS certificates (
  sha256 TEXT PRIMARY KEY, der ${blob} NOT NULL, record TEXT, parse_error TEXT,
  subject_name_hash TEXT, issuer_name_hash TEXT, is_ca INTEGER NOT NULL DEFAULT 0, first_seen TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS certificates_ca_subject ON certificates (subject_name_hash) WHERE is_ca = 1;
CREATE TABLE IF NOT EXISTS endpoints (
  ${rowid}run_id TEXT NOT NULL REFERENCES runs(id), id TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL,
  sni TEXT, status TEXT NOT NULL, error TEXT, tls_version TEXT, cipher TEXT, chain TEXT NOT NULL,
  stapled_ocsp ${blob}, observed_at TEXT NOT NULL, duration_ms ${real} NOT NULL,
  PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS sightings (
  ${rowid}run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL REFERENCES certificates(sha256),
  source TEXT NOT NULL, location TEXT NOT NULL, position INTEGER, observed_at TEXT NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS sightings_run ON sightings (run_id);
CREATE TABLE IF NOT EXISTS snapshots (
  ${rowid}run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, source TEXT NOT NULL, observed_at TEXT NOT NULL,
  snapshot TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revocation (
  ${rowid}run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS anchors (run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL, PRIMARY KEY (run_id, sha256));
CREATE TABLE IF NOT EXISTS paths (
  run_id TEXT NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL, trusted_path TEXT, partial_path TEXT NOT NULL,
  self_signed INTEGER NOT NULL, stop_reason TEXT, PRIMARY KEY (run_id, sha256));
CREATE TABLE IF NOT EXISTS findings (
  ${rowid}run_id TEXT NOT NULL REFERENCES runs(id), id TEXT NOT NULL, rule_id TEXT NOT NULL, category TEXT NOT NULL,
  severity TEXT NOT NULL, message TEXT NOT NULL, certificate TEXT, endpoints TEXT NOT NULL, url TEXT,
  evidence TEXT NOT NULL, PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS rule_failures (run_id TEXT NOT NULL REFERENCES runs(id), rule_id TEXT NOT NULL, error TEXT NOT NULL);
`;

/** The tables of observations, each row tagged with the shard it was collected under (null for runs before schema 6). */
export const SHARD_TAGGED_TABLES = ["endpoints", "sightings", "snapshots", "fetches", "private_keys", "file_records"] as const;

interface Migration {
  version: number;
  description: string;
  sql(types: DialectTypes): string;
}

const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "runs, certificates, endpoints, sightings, snapshots, paths, findings", sql: schemaV1 },
  {
    version: 2,
    description: "parser versions, CRL bodies, raw fetches, saved conclusions (rule texts, outcomes, thresholds, version)",
    sql: ({ blob, rowid }) => `
        ALTER TABLE certificates ADD COLUMN parser_version INTEGER NOT NULL DEFAULT 1;
        DROP INDEX IF EXISTS certificates_ca_subject;
        CREATE TABLE crl_bodies (sha256 TEXT PRIMARY KEY, der ${blob} NOT NULL);
        CREATE TABLE fetches (${rowid}run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX fetches_run ON fetches (run_id);
        CREATE INDEX revocation_run ON revocation (run_id);
        CREATE TABLE conclusions (run_id TEXT PRIMARY KEY REFERENCES runs(id), data TEXT NOT NULL);
      `,
  },
  { version: 3, description: "path validation (RFC 5280 §6.1) of each trusted path", sql: () => "ALTER TABLE paths ADD COLUMN validation TEXT" },
  {
    version: 4,
    description: "the STARTTLS protocol of each endpoint and its protocol posture (TLS versions accepted)",
    sql: () => "ALTER TABLE endpoints ADD COLUMN starttls TEXT; ALTER TABLE endpoints ADD COLUMN protocols TEXT;",
  },
  {
    version: 5,
    description: "private keys found in scanned files (facts, never key material) and file records (keystores, files not read whole)",
    sql: ({ rowid }) => `
        CREATE TABLE private_keys (${rowid}run_id TEXT NOT NULL REFERENCES runs(id), file TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX private_keys_run ON private_keys (run_id);
        CREATE TABLE file_records (${rowid}run_id TEXT NOT NULL REFERENCES runs(id), path TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX file_records_run ON file_records (run_id);
      `,
  },
  {
    version: 6,
    description: "runs in shards: each run's plan, its shards and their claims, and the shard every observation was written under",
    sql: () => `
        CREATE TABLE run_plans (run_id TEXT PRIMARY KEY REFERENCES runs(id), plan TEXT NOT NULL);
        CREATE TABLE run_shards (
          run_id TEXT NOT NULL REFERENCES runs(id), id TEXT NOT NULL, ordinal INTEGER NOT NULL, site TEXT, spec TEXT NOT NULL,
          planned INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0, tally TEXT,
          PRIMARY KEY (run_id, id));
        ${SHARD_TAGGED_TABLES.map((table) => `ALTER TABLE ${table} ADD COLUMN shard TEXT;`).join("\n        ")}
        CREATE INDEX endpoints_shard ON endpoints (run_id, shard);
        CREATE INDEX sightings_shard ON sightings (run_id, shard);
      `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const META_TABLE = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";
const READ_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'";
const writeVersion = (placeholder: string): string =>
  `INSERT INTO meta (key, value) VALUES ('schema_version', ${placeholder}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

/** The steps that bring a store at `stored` (meta's value, if any) to `target`; throws StoreError for a newer store. */
function pendingSteps(stored: string | undefined, target: number): Migration[] {
  const current = Number(stored ?? 0);
  if (!Number.isInteger(current) || current < 0) throw new StoreError(`schema version "${String(stored)}" is not a number`);
  if (current > SCHEMA_VERSION) throw new StoreError(`schema ${current} is newer than this pkiscope's (${SCHEMA_VERSION})`);
  return MIGRATIONS.filter((step) => step.version > current && step.version <= target);
}

/** Brings the store to `target` (SCHEMA_VERSION; tests build older stores); throws StoreError for a store newer than this pkiscope. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  db.exec(META_TABLE);
  const write = db.prepare(writeVersion("?"));
  for (const step of pendingSteps(db.prepare(READ_VERSION).pluck().get() as string | undefined, target)) {
    db.transaction(() => {
      db.exec(step.sql(DIALECTS.sqlite));
      write.run(String(step.version));
    })();
  }
}

/** An arbitrary constant: the advisory lock that lets one of many pkiscope processes opening a database at once migrate it. */
const MIGRATION_LOCK = 7_255_011;

/** migrate for PostgreSQL: every pending step in one transaction (PostgreSQL's DDL is transactional), under an advisory lock. */
export async function migratePostgres(client: pg.ClientBase, target = SCHEMA_VERSION): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(META_TABLE);
    const stored = (await client.query<{ value: string }>(READ_VERSION)).rows[0]?.value;
    for (const step of pendingSteps(stored, target)) {
      await client.query(step.sql(DIALECTS.postgres));
      await client.query(writeVersion("$1"), [String(step.version)]);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
}
