// The observations → inventory boundary. Collectors hand over what they saw; the recorder
// deduplicates certificates by SHA-256, parses each new one exactly once, and writes batches to
// the store in transactions, so a killed scan keeps everything but the batch in flight.
import type { CertificateSighting, EndpointObservation } from "../model/types.js";
import { endpointId } from "../model/types.js";
import type { AiaFetch, CrlFetch, OcspExchange, UrlFetchRecord } from "../model/revocation.js";
import type { FileRecord, PrivateKeyRecord } from "../model/keys.js";
import type { DirectorySnapshotRow, EndpointRow, ObservationBatch, ShardAttempt, SightingRow, Store, StoredCertificate } from "../store/store.js";
import { type ParsedCertificate, messageOf, parseCertificate, sha256Hex } from "../pki/certificate.js";
import { PARSER_VERSION } from "../pki/parser-version.js";
import type { ObservationSink } from "./sink.js";

export interface RecorderOptions {
  /** Flush when this many observations are pending. */
  batchSize?: number;
  /** Flush at least this often, so a killed scan loses at most this much of its work. */
  flushIntervalMs?: number;
  /** The shard claim the observations are collected under (see Store.claimShard). */
  shard?: ShardAttempt;
}

export class ObservationRecorder implements ObservationSink {
  private readonly batchSize: number;
  private pendingEndpoints: EndpointRow[] = [];
  private pendingSightings: PendingSighting[] = [];
  private pendingSnapshots: DirectorySnapshotRow[] = [];
  private pendingFetches: UrlFetchRecord[] = [];
  private pendingCrlBodies = new Map<string, Buffer>();
  private pendingPrivateKeys: PrivateKeyRecord[] = [];
  private pendingFileRecords: FileRecord[] = [];
  /** Parse outcome of every certificate written by this recorder: id → parse error. */
  private readonly known = new Map<string, string | null>();
  private flushing: Promise<void> = Promise.resolve();
  /** The first write the store refused (a full disk, a lost database): later additions throw it, so collection stops. */
  private writeFailure: unknown = null;
  private readonly timer: NodeJS.Timeout;
  private readonly shard: ShardAttempt | undefined;
  parsedCount = 0;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    { batchSize = 256, flushIntervalMs = 1000, shard }: RecorderOptions = {},
  ) {
    this.batchSize = batchSize;
    this.shard = shard;
    // A timed flush has no caller to throw to: its failure is kept for the next addition (and close).
    this.timer = setInterval(() => this.flush().catch((err: unknown) => (this.writeFailure ??= err)), flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the periodic flush and writes what is pending. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Records an endpoint and a sighting for each certificate of its chain. */
  async addEndpoint(obs: EndpointObservation): Promise<void> {
    const id = endpointId(obs);
    const chain = obs.chainDer.map((der) => sha256Hex(der));
    this.pendingEndpoints.push({
      id,
      address: obs.address,
      port: obs.port,
      sni: obs.sni,
      status: obs.status,
      error: obs.error,
      tlsVersion: obs.tlsVersion,
      cipher: obs.cipher,
      chain,
      stapledOcsp: obs.stapledOcsp,
      observedAt: obs.observedAt,
      durationMs: obs.durationMs,
      starttls: obs.starttls ?? null,
      protocols: obs.protocols ?? null,
    });
    obs.chainDer.forEach((der, position) => {
      this.pendingSightings.push({
        der, sha256: chain[position]!, source: "tls", location: id, position, observedAt: obs.observedAt, error: null,
      });
    });
    await this.maybeFlush();
  }

  /** Records a sighting; pass `parsed` when the caller already parsed this DER. */
  async addSighting(s: CertificateSighting, parsed?: ParsedCertificate): Promise<void> {
    this.pendingSightings.push({ ...s, sha256: parsed?.record.sha256 ?? sha256Hex(s.der), error: null, parsed });
    await this.maybeFlush();
  }

  /** Records a structured directory snapshot (AD CS configuration); written with the next batch. */
  async addSnapshot(snapshot: DirectorySnapshotRow): Promise<void> {
    this.pendingSnapshots.push(snapshot);
    await this.flush();
  }

  async addCrl(fetch: CrlFetch, der: Buffer | null): Promise<void> {
    this.pendingFetches.push({ kind: "crl", fetch });
    if (der && fetch.crl) this.pendingCrlBodies.set(fetch.crl.sha256, der);
    await this.maybeFlush();
  }

  async addOcsp(fetch: OcspExchange): Promise<void> {
    this.pendingFetches.push({ kind: "ocsp", fetch });
    await this.maybeFlush();
  }

  async addAia(fetch: AiaFetch): Promise<void> {
    this.pendingFetches.push({ kind: "aia", fetch });
    await this.maybeFlush();
  }

  async addPrivateKey(key: PrivateKeyRecord): Promise<void> {
    this.pendingPrivateKeys.push(key);
    await this.maybeFlush();
  }

  async addFileRecord(record: FileRecord): Promise<void> {
    this.pendingFileRecords.push(record);
    await this.maybeFlush();
  }

  private pendingCount(): number {
    return this.pendingEndpoints.length + this.pendingSightings.length + this.pendingSnapshots.length +
      this.pendingFetches.length + this.pendingPrivateKeys.length + this.pendingFileRecords.length;
  }

  private async maybeFlush(): Promise<void> {
    if (this.writeFailure !== null) throw this.writeFailure;
    if (this.pendingCount() >= this.batchSize) await this.flush();
  }

  /** Writes everything pending. Flushes are serialised so batches land in order. */
  flush(): Promise<void> {
    if (this.pendingCount() === 0) return this.flushing;
    const batch = {
      endpoints: this.pendingEndpoints,
      sightings: this.pendingSightings,
      snapshots: this.pendingSnapshots,
      fetches: this.pendingFetches,
      crlBodies: [...this.pendingCrlBodies].map(([sha256, der]) => ({ sha256, der })),
      privateKeys: this.pendingPrivateKeys,
      fileRecords: this.pendingFileRecords,
    };
    this.pendingEndpoints = [];
    this.pendingSightings = [];
    this.pendingSnapshots = [];
    this.pendingFetches = [];
    this.pendingCrlBodies = new Map();
    this.pendingPrivateKeys = [];
    this.pendingFileRecords = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write({ sightings, ...rest }: Omit<ObservationBatch, "sightings" | "certificates"> & { sightings: PendingSighting[] }): Promise<void> {
    const unknown = [...new Set(sightings.map((s) => s.sha256).filter((id) => !this.known.has(id)))];
    // A record from an older parser is parsed again (and replaced), so parser fixes reach old certificates.
    for (const [id, state] of await this.store.storedParseState(unknown)) {
      if (state.parserVersion >= PARSER_VERSION) this.known.set(id, state.error);
    }

    const certificates: StoredCertificate[] = [];
    for (const s of sightings) {
      if (this.known.has(s.sha256)) continue;
      certificates.push(this.parseOnce(s.sha256, s.der, s.parsed));
    }
    const rows: SightingRow[] = sightings.map(({ der: _der, parsed: _parsed, ...row }) => ({ ...row, error: this.known.get(row.sha256) ?? null }));
    await this.store.recordObservations(this.runId, { ...rest, certificates, sightings: rows }, this.shard);
  }

  private parseOnce(sha256: string, der: Buffer, alreadyParsed: ParsedCertificate | undefined): StoredCertificate {
    if (!alreadyParsed) this.parsedCount++;
    const stored = storedCertificate(der, sha256, alreadyParsed);
    this.known.set(sha256, stored.parseError);
    return stored;
  }
}

/** A certificate as the store keeps it: parsed now (unless `parsed` is given), or its parse error. */
export function storedCertificate(der: Buffer, sha256 = sha256Hex(der), parsed?: ParsedCertificate): StoredCertificate {
  try {
    const p = parsed ?? parseCertificate(der);
    return {
      sha256, der, record: p.record, parseError: null,
      subjectNameHash: p.subjectNameHash, issuerNameHash: p.issuerNameHash, parserVersion: PARSER_VERSION,
    };
  } catch (err) {
    return { sha256, der, record: null, parseError: messageOf(err), subjectNameHash: null, issuerNameHash: null, parserVersion: PARSER_VERSION };
  }
}

type PendingSighting = SightingRow & { der: Buffer; parsed?: ParsedCertificate | undefined };
