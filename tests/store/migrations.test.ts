// The store's schema versions: a store written by the first pkiscope (schema 1) opens in this one,
// its runs re-render (with the thresholds they were run with, and no rule outcomes, which it never
// recorded); a store newer than this pkiscope is refused with a clear error; and certificates
// parsed by an older parser are parsed again when a scan sees them. On both stores, SQLite and
// PostgreSQL, with the same numbering.
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { StoreError } from "../../src/errors.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { PARSER_VERSION } from "../../src/pki/parser-version.js";
import { storedRunReport } from "../../src/reports/report-model.js";
import { SCHEMA_VERSION, migrate, migratePostgres } from "../../src/store/migrations.js";
import { type StoreBackend, STORE_BACKENDS } from "./backends.js";

const key = generateKeyPair({ kind: "ec", curve: "P-256" });
const certificate = buildCertificate({
  subject: [["CN", "old.example.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey,
  notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2035-01-01T00:00:00Z"),
});
const parsed = parseCertificate(Buffer.from(certificate.der));

/** Brings a new store to schema `target` only, as an older pkiscope left it. */
async function migrateTo(backend: StoreBackend, spec: string, target: number): Promise<void> {
  if (backend.name === "sqlite") {
    const db = new Database(spec);
    migrate(db, target);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: spec });
  await client.connect();
  try {
    await migratePostgres(client, target);
  } finally {
    await client.end();
  }
}

/** A store as pkiscope 0.1 left it: schema 1, one finished run with a served certificate and a finding. */
async function schemaOneStore(backend: StoreBackend, spec: string): Promise<string> {
  await migrateTo(backend, spec, 1);
  const runId = "0f8b1d2e-3c4a-4b5c-8d6e-7f8091a2b3c4";
  const sha = parsed.record.sha256;
  await backend.sql(spec, [
    { text: "INSERT INTO runs (id, started_at, finished_at, complete, targets, ports, options, stats) VALUES (?, ?, ?, 1, ?, ?, ?, '{}')",
      params: [runId, "2025-06-01T10:00:00.000Z", "2025-06-01T10:01:00.000Z", '["127.0.0.1"]', "[443]", JSON.stringify({ settings: { expiryDays: 45, crlExpiryHours: 24, slowMs: 2000 } })] },
    { text: "INSERT INTO certificates (sha256, der, record, parse_error, subject_name_hash, issuer_name_hash, is_ca, first_seen) VALUES (?, ?, ?, NULL, ?, ?, 0, ?)",
      params: [sha, Buffer.from(certificate.der), JSON.stringify(parsed.record), parsed.subjectNameHash, parsed.issuerNameHash, "2025-06-01T10:00:00.000Z"] },
    { text: "INSERT INTO endpoints (run_id, id, address, port, sni, status, error, tls_version, cipher, chain, stapled_ocsp, observed_at, duration_ms) VALUES (?, '127.0.0.1:443', '127.0.0.1', 443, NULL, 'tls', NULL, 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', ?, NULL, ?, 3)",
      params: [runId, JSON.stringify([sha]), "2025-06-01T10:00:01.000Z"] },
    { text: "INSERT INTO sightings (run_id, sha256, source, location, position, observed_at, error) VALUES (?, ?, 'tls', '127.0.0.1:443', 0, ?, NULL)",
      params: [runId, sha, "2025-06-01T10:00:01.000Z"] },
    { text: "INSERT INTO paths (run_id, sha256, trusted_path, partial_path, self_signed, stop_reason) VALUES (?, ?, NULL, ?, 1, 'self-signed')",
      params: [runId, sha, JSON.stringify([sha])] },
    { text: "INSERT INTO findings (run_id, id, rule_id, category, severity, message, certificate, endpoints, url, evidence) VALUES (?, 'abc123', 'self-signed-leaf', 'policy-governance', 'medium', 'self-signed', ?, '[\"127.0.0.1:443\"]', NULL, '{}')",
      params: [runId, sha] },
  ]);
  return runId;
}

describe.each(STORE_BACKENDS)("store migrations ($name)", (backend) => {
  it("opens a schema 1 store, migrates it, and re-renders its run", async () => {
    const path = await backend.newSpec("v1");
    const runId = await schemaOneStore(backend, path);
    const store = await backend.open(path);
    try {
      const report = storedRunReport(await store.loadRun(runId));
      expect(report.findings.map((f) => f.ruleId)).toEqual(["self-signed-leaf"]);
      expect(report.inventory.certificates.map((c) => c.sha256)).toEqual([parsed.record.sha256]);
      expect(report.analysis.thresholds).toEqual({ expiryDays: 45, crlExpiryHours: 24, slowMs: 2000 });
      expect(report.ruleOutcomes).toEqual([]);
      expect(report.analysis.pkiscopeVersion).toMatch(/before schema 2/);
    } finally {
      await store.close();
    }
    const [version, parser] = await backend.sql(path, [
      { text: "SELECT value FROM meta WHERE key = 'schema_version'" }, { text: "SELECT parser_version FROM certificates" },
    ]);
    expect(version).toEqual([{ value: String(SCHEMA_VERSION) }]);
    expect(parser).toEqual([{ parser_version: 1 }]);
  });

  it("refuses a store from a newer pkiscope, naming the store (never its password) and both versions", async () => {
    const path = await backend.newSpec("future");
    await (await backend.open(path)).close();
    await backend.sql(path, [{ text: "UPDATE meta SET value = ? WHERE key = 'schema_version'", params: [String(SCHEMA_VERSION + 1)] }]);
    const refusal = await backend.open(path).then(() => null, (err: unknown) => err);
    expect(refusal).toBeInstanceOf(StoreError);
    const shown = backend.name === "sqlite" ? path : path.replace(/:[^:@/]+@/, ":***@");
    expect((refusal as Error).message).toContain(shown);
    expect((refusal as Error).message).toMatch(new RegExp(`schema ${SCHEMA_VERSION + 1}.*\\(${SCHEMA_VERSION}\\)`));
    if (backend.name === "postgres") expect((refusal as Error).message).not.toContain(new URL(path).password);
  });

  it("parses again a certificate an older parser stored, the next time a scan sees it", async () => {
    const path = await backend.newSpec("reparse");
    await schemaOneStore(backend, path);
    const store = await backend.open(path);
    try {
      // Parser 1's record, with a field a parser fix would correct.
      await backend.sql(path, [{ text: "UPDATE certificates SET record = ? WHERE sha256 = ?", params: [JSON.stringify({ ...parsed.record, subject: "wrong" }), parsed.record.sha256] }]);
      const run = await store.createRun({ targets: [], ports: [], options: {} });
      const recorder = new ObservationRecorder(store, run.id);
      await recorder.addSighting({ der: Buffer.from(certificate.der), source: "file", location: "/tmp/old.pem", position: null, observedAt: new Date().toISOString() });
      await recorder.close();
      expect(recorder.parsedCount).toBe(1);
      const [again] = await store.certificates([parsed.record.sha256]);
      expect(again).toMatchObject({ parserVersion: PARSER_VERSION, record: { subject: parsed.record.subject } });
      // Once current, it is not parsed again.
      const second = new ObservationRecorder(store, run.id);
      await second.addSighting({ der: Buffer.from(certificate.der), source: "file", location: "/tmp/old.pem", position: null, observedAt: new Date().toISOString() });
      await second.close();
      expect(second.parsedCount).toBe(0);
    } finally {
      await store.close();
    }
  });
});
