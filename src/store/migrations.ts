// Schema versions of the SQLite store and the steps between them. A store records its version
// in meta.schema_version; opening it applies every later step in order, each in a transaction,
// so a store written by any earlier pkiscope opens in this one (and a newer store is refused).
// The PostgreSQL store of a later issue keeps the same numbering.
import type Database from "better-sqlite3";
import { StoreError } from "../errors.js";

/** The first schema, as stores before migrations were written it; later versions migrate from it. */
const SCHEMA_V1 = `
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

interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "runs, certificates, endpoints, sightings, snapshots, paths, findings", up: (db) => db.exec(SCHEMA_V1) },
  {
    version: 2,
    description: "parser versions, CRL bodies, raw fetches, saved conclusions (rule texts, outcomes, thresholds, version)",
    up: (db) =>
      db.exec(`
        ALTER TABLE certificates ADD COLUMN parser_version INTEGER NOT NULL DEFAULT 1;
        DROP INDEX IF EXISTS certificates_ca_subject;
        CREATE TABLE crl_bodies (sha256 TEXT PRIMARY KEY, der BLOB NOT NULL);
        CREATE TABLE fetches (run_id TEXT NOT NULL REFERENCES runs(id), kind TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX fetches_run ON fetches (run_id);
        CREATE INDEX revocation_run ON revocation (run_id);
        CREATE TABLE conclusions (run_id TEXT PRIMARY KEY REFERENCES runs(id), data TEXT NOT NULL);
      `),
  },
  { version: 3, description: "path validation (RFC 5280 §6.1) of each trusted path", up: (db) => db.exec("ALTER TABLE paths ADD COLUMN validation TEXT") },
  {
    version: 4,
    description: "the STARTTLS protocol of each endpoint and its protocol posture (TLS versions accepted)",
    up: (db) => db.exec("ALTER TABLE endpoints ADD COLUMN starttls TEXT; ALTER TABLE endpoints ADD COLUMN protocols TEXT;"),
  },
  {
    version: 5,
    description: "private keys found in scanned files (facts, never key material) and file records (keystores, files not read whole)",
    up: (db) =>
      db.exec(`
        CREATE TABLE private_keys (run_id TEXT NOT NULL REFERENCES runs(id), file TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX private_keys_run ON private_keys (run_id);
        CREATE TABLE file_records (run_id TEXT NOT NULL REFERENCES runs(id), path TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX file_records_run ON file_records (run_id);
      `),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the store to `target` (SCHEMA_VERSION; tests build older stores); throws StoreError for a store newer than this pkiscope. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const read = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck();
  const current = Number((read.get() as string | undefined) ?? 0);
  if (!Number.isInteger(current) || current < 0) throw new StoreError(`schema version "${String(read.get())}" is not a number`);
  if (current > SCHEMA_VERSION) throw new StoreError(`schema ${current} is newer than this pkiscope's (${SCHEMA_VERSION})`);
  const write = db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  for (const step of MIGRATIONS) {
    if (step.version <= current || step.version > target) continue;
    db.transaction(() => {
      step.up(db);
      write.run(String(step.version));
    })();
  }
}
