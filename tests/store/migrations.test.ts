// The store's schema versions: a store written by the first pkiscope (schema 1) opens in this one,
// its runs re-render (with the thresholds they were run with, and no rule outcomes, which it never
// recorded); a store newer than this pkiscope is refused with a clear error; and certificates
// parsed by an older parser are parsed again when a scan sees them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { StoreError } from "../../src/errors.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { parseCertificate } from "../../src/pki/certificate.js";
import { PARSER_VERSION } from "../../src/pki/parser-version.js";
import { storedRunReport } from "../../src/reports/report-model.js";
import { SCHEMA_VERSION, migrate } from "../../src/store/migrations.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "pkiscope-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = generateKeyPair({ kind: "ec", curve: "P-256" });
const certificate = buildCertificate({
  subject: [["CN", "old.example.test"]], publicKey: key.publicKey, selfSignKey: key.privateKey,
  notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2035-01-01T00:00:00Z"),
});
const parsed = parseCertificate(Buffer.from(certificate.der));

/** A store as pkiscope 0.1 left it: schema 1, one finished run with a served certificate and a finding. */
function schemaOneStore(path: string): string {
  const db = new Database(path);
  migrate(db, 1);
  const runId = "0f8b1d2e-3c4a-4b5c-8d6e-7f8091a2b3c4";
  db.prepare("INSERT INTO runs (id, started_at, finished_at, complete, targets, ports, options, stats) VALUES (?, ?, ?, 1, ?, ?, ?, '{}')")
    .run(runId, "2025-06-01T10:00:00.000Z", "2025-06-01T10:01:00.000Z", '["127.0.0.1"]', "[443]", JSON.stringify({ settings: { expiryDays: 45, crlExpiryHours: 24, slowMs: 2000 } }));
  db.prepare("INSERT INTO certificates (sha256, der, record, parse_error, subject_name_hash, issuer_name_hash, is_ca, first_seen) VALUES (?, ?, ?, NULL, ?, ?, 0, ?)")
    .run(parsed.record.sha256, Buffer.from(certificate.der), JSON.stringify(parsed.record), parsed.subjectNameHash, parsed.issuerNameHash, "2025-06-01T10:00:00.000Z");
  db.prepare("INSERT INTO endpoints (run_id, id, address, port, sni, status, error, tls_version, cipher, chain, stapled_ocsp, observed_at, duration_ms) VALUES (?, '127.0.0.1:443', '127.0.0.1', 443, NULL, 'tls', NULL, 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', ?, NULL, ?, 3)")
    .run(runId, JSON.stringify([parsed.record.sha256]), "2025-06-01T10:00:01.000Z");
  db.prepare("INSERT INTO sightings (run_id, sha256, source, location, position, observed_at, error) VALUES (?, ?, 'tls', '127.0.0.1:443', 0, ?, NULL)")
    .run(runId, parsed.record.sha256, "2025-06-01T10:00:01.000Z");
  db.prepare("INSERT INTO paths (run_id, sha256, trusted_path, partial_path, self_signed, stop_reason) VALUES (?, ?, NULL, ?, 1, 'self-signed')")
    .run(runId, parsed.record.sha256, JSON.stringify([parsed.record.sha256]));
  db.prepare("INSERT INTO findings (run_id, id, rule_id, category, severity, message, certificate, endpoints, url, evidence) VALUES (?, 'abc123', 'self-signed-leaf', 'policy-governance', 'medium', 'self-signed', ?, '[\"127.0.0.1:443\"]', NULL, '{}')")
    .run(runId, parsed.record.sha256);
  db.close();
  return runId;
}

describe("store migrations", () => {
  it("opens a schema 1 store, migrates it, and re-renders its run", async () => {
    const path = join(dir, "v1.db");
    const runId = schemaOneStore(path);
    const store = new SqliteStore(path);
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
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
    expect(db.prepare("SELECT parser_version FROM certificates").pluck().get()).toBe(1);
    db.close();
  });

  it("refuses a store from a newer pkiscope, naming the file and both versions", () => {
    const path = join(dir, "future.db");
    new SqliteStore(path).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    expect(() => new SqliteStore(path)).toThrow(StoreError);
    expect(() => new SqliteStore(path)).toThrow(new RegExp(`${path}.*schema ${SCHEMA_VERSION + 1}.*\\(${SCHEMA_VERSION}\\)`));
  });

  it("parses again a certificate an older parser stored, the next time a scan sees it", async () => {
    const path = join(dir, "reparse.db");
    schemaOneStore(path);
    const store = new SqliteStore(path);
    try {
      // Parser 1's record, with a field a parser fix would correct.
      const db = new Database(path);
      db.prepare("UPDATE certificates SET record = json_set(record, '$.subject', 'wrong') WHERE sha256 = ?").run(parsed.record.sha256);
      db.close();
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
